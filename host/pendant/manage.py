"""`pendant show`, `pendant order`, `pendant settings`: managing what is on a pendant.

Registered on the main command group at the bottom of cli.py. Like every
command, each failure a user can meet is one line on stderr and exit code 1.
"""

from __future__ import annotations

import click

from pendant import link as link_mod
from pendant.clikit import echo_json, fail, json_option, open_client, port_option


def resolve(ids: list[str], wanted: str) -> str:
    """The one id in `ids` starting with `wanted` (ids are long to type)."""
    w = wanted.strip().lower()
    matches = [i for i in ids if i.startswith(w)] if w else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise link_mod.LinkError(f"no photo {wanted!r} on the pendant (see `pendant list`)")
    raise link_mod.LinkError(f"{wanted!r} matches {len(matches)} photos: give more digits")


def parse_setting(text: str) -> tuple[str, int | str]:
    """NAME=VALUE; whole numbers become ints (the pendant checks ranges)."""
    name, eq, value = text.partition("=")
    if not eq or not name.strip():
        raise click.BadParameter(f"{text!r}: write NAME=VALUE, e.g. brightness=60")
    v = value.strip()
    try:
        return name.strip(), int(v)
    except ValueError:
        return name.strip(), v


@click.command()
@click.argument("photo_id")
@port_option
def show(photo_id, port):
    """Show the photo PHOTO_ID now (an id or its first digits, as `pendant list` shows)."""
    c = open_client(port)
    try:
        full = resolve([p.id for p in c.list()], photo_id)
        c.show(full)
    except link_mod.LinkError as e:
        fail(str(e))
    finally:
        c.close()
    click.echo(f"showing {full}")


@click.command()
@click.argument("photo_ids", nargs=-1, required=True)
@port_option
def order(photo_ids, port):
    """Put PHOTO_IDS first in the slideshow, in this order; the rest follow as before."""
    c = open_client(port)
    try:
        ids = [p.id for p in c.list()]
        wanted = [resolve(ids, i) for i in photo_ids]
        if len(set(wanted)) != len(wanted):
            raise link_mod.LinkError("a photo is listed twice")
        c.order(wanted)
        now = [p.id for p in c.list()]
    except link_mod.LinkError as e:
        fail(str(e))
    finally:
        c.close()
    for i, pid in enumerate(now, 1):
        click.echo(f"{i:3d}  {pid}")


@click.command()
@click.argument("changes", nargs=-1)
@port_option
@json_option
def settings(changes, port, as_json):
    """Show the pendant's settings, or change them: `pendant settings brightness=60`.

    \b
    interval_s     seconds per photo in the slideshow
    brightness     backlight percent (5..100)
    dim_after_s    dim after this many seconds (0 = never)
    dim_percent    backlight percent while dimmed
    sleep_after_s  screen off after this many seconds (0 = never)
    deep_after_s   screen off -> deepest sleep after this many seconds
    rotation       -1 (the board's own), 0, 90, 180 or 270
    transition     none, wipe or fade
    """
    parsed = dict(parse_setting(t) for t in changes)
    c = open_client(port)
    try:
        values = c.set_settings(parsed) if parsed else c.settings()
    except link_mod.LinkError as e:
        fail(str(e))
    finally:
        c.close()
    if as_json:
        echo_json(values)
        return
    for name in sorted(values):
        click.echo(f"{name:<14} {values[name]}")


def register(group: click.Group) -> None:
    for command in (show, order, settings):
        group.add_command(command)

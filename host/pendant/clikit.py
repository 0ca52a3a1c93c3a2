"""What every `pendant` command that talks to a pendant shares: the --port
option (with shell completion of the ports present), opening the link, and
the one-line error and exit that every failure a user can meet ends in."""

from __future__ import annotations

import sys

import click

from pendant import link as link_mod


def fail(message: str, code: int = 1):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def complete_ports(ctx, param, incomplete):
    """Shell completion for --port: serial ports present now, pendants first."""
    from click.shell_completion import CompletionItem

    items = []
    for path, help_text in link_mod.candidate_ports():
        if path.startswith(incomplete):
            items.append(CompletionItem(path, help=help_text))
    return items


port_option = click.option(
    "-p", "--port", envvar=link_mod.PORT_ENV, default=None, shell_complete=complete_ports,
    help="Serial port of the pendant (default: $PENDANT_PORT, then USB auto-detect).",
)


json_option = click.option(
    "--json", "as_json", is_flag=True,
    help="Print JSON on stdout (for scripts) instead of the table.",
)


def echo_json(value) -> None:
    import json

    click.echo(json.dumps(value, indent=2, sort_keys=True))


def open_client(port) -> link_mod.Client:
    """An open session with the pendant on `port` (None: find it), or fail()."""
    try:
        c = link_mod.Client(link_mod.find_port(port),
                            notify=lambda line: click.echo(f"note: {line}", err=True))
        c.open()
        return c
    except link_mod.LinkError as e:
        fail(str(e))
        raise  # unreachable: fail() exits

"""`pendant sim-day`: a simulated day on the real firmware, and the battery life.

Registered on the main command group at the bottom of cli.py.
"""

from __future__ import annotations

import sys

import click


@click.command("sim-day")
@click.option("--day", "profile", default="worn", show_default=True, metavar="PROFILE",
              help="Usage profile: worn, idle, busy, or a JSON file with any of hours, "
                   "worn_hours, glances, glance_s, viewings, viewing_s.")
@click.option("--capacity", type=float, default=200.0, show_default=True,
              help="Battery capacity in mAh.")
@click.option("--board", "boards_", multiple=True, metavar="BOARD",
              help="Board(s) to simulate (repeatable; default: the Waveshare board "
                   "and the Pico + GC9A01 build). pico-gc9a01-latch switches itself "
                   "off between looks: each look is a cold boot.")
def sim_day(profile, capacity, boards_):
    """Play a day's use on a simulated pendant and print its energy and battery life.

    The real firmware runs at simulated speed (a day takes seconds); looks are
    button presses or IMU motion scripted at their virtual times. The power
    figures come from the table in hardware/power.md.
    """
    from pendant.firmware import boards
    from pendant.sim.day import Profile, format_result, run_day

    try:
        prof = Profile.load(profile)
    except (OSError, ValueError, TypeError) as e:
        click.echo(f"error: profile {profile}: {e}", err=True)
        sys.exit(1)
    names = boards_ or ("waveshare-rp2040-lcd-1.28", "pico-gc9a01")
    for i, name in enumerate(names):
        if name not in boards.BOARDS:
            click.echo(f"error: unknown board {name}", err=True)
            sys.exit(1)
        try:
            result = run_day(name, prof, capacity_mah=capacity)
        except RuntimeError as e:
            click.echo(f"error: {name}: {e}", err=True)
            sys.exit(1)
        if i:
            click.echo("")
        click.echo(format_result(result))


def register(group: click.Group) -> None:
    group.add_command(sim_day)

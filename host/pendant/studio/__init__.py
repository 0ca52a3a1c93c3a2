"""`pendant studio`: the pendant without a terminal, as a local web app.

The page (static/, plain ES modules) talks to a Starlette app (server.py)
that does every step with the library code the CLI uses: pendant.photo and
pendant.frames for previews, pendant.link.Client for the pendant,
pendant.install for firmware, pendant.sim for --sim.
"""

from __future__ import annotations

import signal
import socket
import sys
import tempfile

import click

from pendant.clikit import fail, port_option

EXTRA = "studio"


from pendant.extras import require  # noqa: E402,F401  (one line for a missing extra)


def _board_choice():
    from pendant.firmware import boards

    return click.Choice(sorted(boards.BOARDS))


@click.command()
@port_option
@click.option("--sim", "use_sim", is_flag=True,
              help="Run a simulated pendant and use it (its screen is mirrored in the page).")
@click.option("--board", type=_board_choice(), default="waveshare-rp2040-lcd-1.28",
              show_default=True, help="Board to simulate (with --sim).")
@click.option("--flash", type=click.Path(file_okay=False), default=None,
              help="Folder keeping the simulated flash (with --sim) [default: a new one].")
@click.option("--listen", type=click.IntRange(0, 65535), default=0, metavar="PORT",
              help="TCP port on 127.0.0.1 for the page [default: any free one].")
@click.option("--no-browser", is_flag=True, help="Print the address; do not open a browser.")
def studio(port, use_sim, board, flash, listen, no_browser):
    """Fill and manage the pendant from a web page (local to this computer).

    The first line printed is `studio: http://127.0.0.1:PORT/?token=...`; only
    that address (with its token, new every run) opens the page. Ctrl-C stops.
    """
    require(EXTRA, "starlette")
    uvicorn = require(EXTRA, "uvicorn")
    from pendant.studio.server import Studio, create_app

    # Ctrl-C or SIGTERM before the server runs (it handles both itself) must
    # still stop the simulated pendant and remove the studio's files.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", listen))  # loopback only, never 0.0.0.0
    except OSError as e:
        fail(f"cannot listen on 127.0.0.1:{listen}: {e.strerror}")
    sock.listen(64)
    sim = st = flash_tmp = None
    try:
        if use_sim:
            from pendant.sim import Simulator

            if flash is None:
                flash_tmp = tempfile.TemporaryDirectory(prefix="pendant-studio-sim-")
                flash = flash_tmp.name
            sim = Simulator(flash_dir=flash, board=board)
            try:
                sim.start()
            except (RuntimeError, FileNotFoundError) as e:
                fail(f"the simulated pendant did not start: {str(e).splitlines()[0]}")
        st = Studio(port, sim=sim)
        st.bind("127.0.0.1:%d" % sock.getsockname()[1])
        click.echo(f"studio: {st.url}")
        if sim is not None:
            click.echo(f"simulated pendant on {sim.port}")
        click.echo("Ctrl-C stops the studio")
        sys.stdout.flush()
        st.start()
        if not no_browser:
            import webbrowser

            webbrowser.open(st.url)
        config = uvicorn.Config(create_app(st), log_level="warning", access_log=False,
                                lifespan="off")
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        if st is not None:
            st.close()
        if sim is not None:
            sim.stop()
        if flash_tmp is not None:
            flash_tmp.cleanup()
        sock.close()


def register(group: click.Group) -> None:
    group.add_command(studio)

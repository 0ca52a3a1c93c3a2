"""`pendant`: put photos on a heart pendant, manage it, or simulate one.

A thin layer over the library (pendant.photo, pendant.frames, pendant.link,
pendant.sim): it parses options, shows progress and turns every expected
failure into one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

import click

from pendant import __version__
from pendant import frames as frames_mod
from pendant import link as link_mod
from pendant.clikit import echo_json, fail, json_option, open_client, port_option
from pendant.photo import PhotoError, RenderOptions, render

SAMPLES = Path(__file__).parent / "samples"


def _rgb565(text: str) -> int:
    """#rrggbb, rrggbb or 0xNNNN (already RGB565)."""
    t = text.strip().lower()
    try:
        if t.startswith("0x"):
            value = int(t, 16)
            if not 0 <= value <= 0xFFFF:
                raise ValueError
            return value
        t = t.lstrip("#")
        if len(t) != 6:
            raise ValueError
        r, g, b = (int(t[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a colour (#rrggbb or 0xNNNN)") from None
    return (r >> 3) << 11 | (g >> 2) << 5 | b >> 3


def _focus(text: str | None):
    if text is None:
        return None
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r}: give X,Y in 0..1, e.g. 0.5,0.3") from None
    return (x, y)


def photo_options(f):
    """The options every command that converts photos shares."""
    opts = [
        click.option("--panel", type=click.Choice(["gc9a01", "st7789"]), default=None,
                     help="Panel the frame is made for [default: the pendant's own when "
                          "uploading, else gc9a01]."),
        click.option("--mask", type=click.Choice(["heart", "circle", "full"]), default="heart",
                     show_default=True, help="Shape the photo is shown in."),
        click.option("--background", default="#000000", show_default=True,
                     help="Colour outside the mask (#rrggbb or RGB565 0xNNNN)."),
        click.option("--focus", default=None, metavar="X,Y",
                     help="Point of the photo (0..1 each) to centre in the heart; "
                          "default: found from the picture."),
        click.option("--zoom", type=float, default=1.0, show_default=True,
                     help="Above 1 crops tighter around the focus."),
        click.option("--rotate", type=float, default=0, show_default=True,
                     help="Extra counter-clockwise turn in degrees, after EXIF orientation."),
        click.option("--dither", type=click.Choice(["fs", "blue", "none"]), default="fs",
                     show_default=True,
                     help="RGB565 dithering: error diffusion, blue noise or none."),
        click.option("--quality", type=click.Choice(frames_mod.QUALITIES),
                     default=frames_mod.DEFAULT_QUALITY, show_default=True,
                     help="Storage: lossless; visual (each channel within one RGB565 "
                          "level, ~1/3 smaller); strong (two levels); auto = lossless "
                          "when it fits 40 photos in flash, else visual."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _options(panel, mask, background, focus, zoom, rotate, dither,
             quality=None) -> RenderOptions:  # quality is storage, not rendering
    try:
        return RenderOptions(panel=panel or "gc9a01", mask=mask, background=_rgb565(background),
                             focus=_focus(focus), zoom=zoom, rotate=rotate, dither=dither)
    except PhotoError as e:
        raise click.BadParameter(str(e)) from None


def convert_many(paths, options, quality=frames_mod.DEFAULT_QUALITY):
    """Convert photos on every core, with a progress bar when there are several;
    yield (path, FrameFile | None, rendered | None, error | None) in order."""
    from pendant.batch import convert_all

    paths = list(paths)
    if len(paths) < 3:
        results = convert_all(paths, options, quality)
    else:
        with click.progressbar(length=len(paths), label="converting", file=sys.stderr,
                               show_eta=True) as bar:
            results = convert_all(paths, options, quality, progress=lambda _: bar.update(1))
    for c in results:
        yield c.path, c.frame, c.rendered, c.error


def version_text() -> str:
    """`pendant --version`: the tool, the firmware it installs, its extras."""
    from pendant import extras
    from pendant.firmware import proto
    from pendant.firmware import version as firmware

    lines = [f"pendant {__version__}: installs firmware {firmware.VERSION} "
             f"(link protocol {proto.VERSION})"]
    have = extras.installed()
    if have is not None:  # None: run from a checkout that was never installed
        on = [name for name, ok in have.items() if ok]
        off = [name for name, ok in have.items() if not ok]
        lines.append("extras: " + (", ".join(on) or "none")
                     + (f" (not installed: {', '.join(off)})" if off else ""))
    return "\n".join(lines)


def _show_version(ctx, _param, value):
    if value and not ctx.resilient_parsing:
        click.echo(version_text())
        ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version,
              help="Show the tool's version, the firmware it installs and its extras.")
def main():
    """Photos for a heart pendant: convert, upload, manage, simulate.

    \b
    Quick start:
      pendant upload photo.jpg          convert and upload to the pendant on USB
      pendant preview photo.jpg -o p.png  see what the pendant will show
      pendant sim                       a simulated pendant, no hardware needed
      pendant demo                      simulator + sample photos + screenshot
      pendant studio --sim              all of it in a browser page, no hardware

    The port comes from --port, then $PENDANT_PORT, then USB auto-detection.
    """


# -- converting ----------------------------------------------------------------


@main.command()
@click.argument("photos", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="PNG to write.")
@click.option("--columns", type=click.IntRange(1, 50), default=None,
              help="Contact sheet columns (several photos; default: about square).")
@photo_options
def preview(photos, output, columns, **kw):
    """Write a PNG of exactly what the pendant will show for PHOTOS.

    The picture is decoded from the frame file's own bytes (the ones `upload`
    sends), so with a lossy --quality it shows what the panel shows, pixel for
    pixel. Several photos make a contact sheet, each labelled with its size.
    """
    from PIL import Image, ImageDraw

    from pendant import glass

    options = _options(**kw)
    tiles, failures = [], 0
    for path, ff, r, err in convert_many(photos, options, kw["quality"]):
        if err:
            click.echo(f"error: {err}", err=True)
            failures += 1
            continue
        w, h, rgb = frames_mod.decode(ff.data)
        tiles.append((Path(path).name, len(ff), glass.preview(rgb, r.panel)))
    if not tiles:
        sys.exit(1)
    if len(tiles) == 1:
        sheet = tiles[0][2]
    else:
        cols = columns or max(1, round(len(tiles) ** 0.5 + 0.49))
        tw, th = tiles[0][2].size
        label = 14
        rows = -(-len(tiles) // cols)
        sheet = Image.new("RGB", (cols * (tw + 4) + 4, rows * (th + label + 4) + 4), "#202020")
        draw = ImageDraw.Draw(sheet)
        for i, (name, size, im) in enumerate(tiles):
            x = 4 + (i % cols) * (tw + 4)
            y = 4 + (i // cols) * (th + label + 4)
            sheet.paste(im.convert("RGB"), (x, y))
            draw.text((x + 2, y + th + 1), f"{name[:22]} {size / 1024:.1f} KiB", fill="#e0e0e0")
    sheet.save(output)
    total = sum(t[1] for t in tiles)
    click.echo(f"wrote {output} ({len(tiles)} photo(s), {total:,} bytes of frames)")
    if failures:
        click.echo(f"{len(tiles)} of {len(photos)} photos done, {failures} failed")
        sys.exit(1)


@main.command()
@click.argument("photo")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Frame file to write.")
@photo_options
def convert(photo, output, **kw):
    """Convert PHOTO to a frame file the pendant can store and show."""
    try:
        r = render(photo, _options(**kw))
    except PhotoError as e:
        fail(str(e))
    ff = frames_mod.from_render(r, kw["quality"])
    tmp = output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(ff.data)
    os.replace(tmp, output)
    click.echo(f"wrote {output} ({len(ff):,} bytes, id {ff.id})")


# -- talking to a pendant --------------------------------------------------------


def upload_photos(port: str | None, photos, options: RenderOptions, force=False,
                  echo=click.echo, quality=frames_mod.DEFAULT_QUALITY,
                  own_panel=False) -> int:
    """Convert then upload photos; returns the number of failures. Used by
    `pendant upload` and `pendant demo` alike.

    own_panel: make the frames for the panel the pendant reports (a GC9A01 or
    an ST7789), asked in a short session of its own before converting (a
    session left idle while photos convert would time out on the pendant).
    """
    if own_panel:
        client = open_client(port)
        panel = client.info.get("panel")
        client.close()
        if panel in ("gc9a01", "st7789"):
            options = dataclasses.replace(options, panel=panel)
    converted = list(convert_many(photos, options, quality))
    failures = sum(1 for _, _, _, err in converted if err)
    for _, _, _, err in converted:
        if err:
            click.echo(f"error: {err}", err=True)
    todo = [(p, ff) for p, ff, _, err in converted if not err]
    if not todo:
        return failures
    client = open_client(port)
    try:
        for path, ff in todo:
            name = Path(path).name
            t0 = time.monotonic()
            with click.progressbar(length=len(ff), label=f"{name:<24.24}",
                                   show_eta=False, show_percent=True,
                                   item_show_func=None, file=sys.stderr) as bar:
                done = [0]

                def progress(n, bar=bar, done=done, t0=t0, name=name):
                    bar.update(n - done[0])
                    done[0] = n
                    if sys.stderr.isatty():  # a changing label reprints off a tty
                        rate = n / max(1e-6, time.monotonic() - t0)
                        bar.label = f"{name:<24.24} {rate / 1024:6.1f} KiB/s"

                try:
                    result = client.put(ff.data, ff.id, progress=progress, force=force)
                except link_mod.DeviceError as e:
                    bar.render_finish()
                    click.echo(f"error: {name}: {e}", err=True)
                    failures += 1
                    continue
            if result == "skipped":
                echo(f"{name}: already on the pendant (id {ff.id}); --force uploads again")
            else:
                took = time.monotonic() - t0
                took_text = f"{took * 1000:.0f} ms" if took < 1 else f"{took:.1f} s"
                echo(f"{name}: uploaded {len(ff):,} bytes in {took_text} (id {ff.id})")
    except link_mod.LinkError as e:
        click.echo(f"error: {e}", err=True)
        failures += 1
    finally:
        client.close()
    return failures


@main.command()
@click.argument("photos", nargs=-1, required=True)
@port_option
@click.option("--force", is_flag=True, help="Upload even if the pendant has the photo.")
@photo_options
def upload(photos, port, force, **kw):
    """Convert PHOTOS and upload them to the pendant.

    Each photo is checked on the pendant before it joins the slideshow, and
    shows as soon as it has arrived. An upload cut off by the cable resumes
    where it stopped on the next try.
    """
    failures = upload_photos(port, photos, _options(**kw), force=force, quality=kw["quality"],
                             own_panel=kw["panel"] is None)
    if len(photos) > 1:
        click.echo(f"{len(photos) - failures} of {len(photos)} photos done"
                   + (f", {failures} failed" if failures else ""))
    sys.exit(1 if failures else 0)


@main.command("list")
@port_option
@json_option
def list_(port, as_json):
    """List the photos on the pendant, in slideshow order."""
    c = open_client(port)
    try:
        photos = c.list()
    except link_mod.LinkError as e:
        fail(str(e))
    finally:
        c.close()
    if as_json:
        echo_json([{"id": p.id, "size": p.size} for p in photos])
        return
    if not photos:
        click.echo("no photos on the pendant")
    for i, p in enumerate(photos, 1):
        click.echo(f"{i:3d}  {p.id}  {p.size:8,d} bytes")


@main.command()
@click.argument("photo_id")
@port_option
def remove(photo_id, port):
    """Remove the photo PHOTO_ID (as `pendant list` shows it)."""
    from pendant.manage import resolve

    c = open_client(port)
    try:
        photo_id = resolve([p.id for p in c.list()], photo_id)  # a prefix will do
        c.remove(photo_id)
    except link_mod.LinkError as e:
        fail(str(e))
    finally:
        c.close()
    click.echo(f"removed {photo_id}")


def battery_text(bat: dict | None) -> str:
    """The status line's battery part (percent None: the pendant found the
    reading impossible for a LiPo)."""
    if not bat:
        return "not measured on this build"
    volts = bat.get("volts") or 0.0
    if bat.get("percent") is None:
        return (f"reading {volts:.2f} V is impossible for a LiPo (no cell, or a wrong "
                "divider for this board): not shown as a charge level")
    return f"{bat['percent']}% ({volts:.2f} V)" + (" charging" if bat.get("charging") else "")


@main.command()
@port_option
@json_option
def status(port, as_json):
    """Firmware version, board, photo count, free flash and battery."""
    c = open_client(port)
    info = dict(c.info)
    c.close()
    info.pop("nonce", None)  # the session's, not the pendant's
    if as_json:
        echo_json(info)
        return
    click.echo(f"firmware   {info.get('fw')} (protocol {info.get('proto')}, "
               f"MicroPython {info.get('micropython', '?')})")
    mhz = info.get("spi_hz", 0) / 1e6
    click.echo(f"board      {info.get('board')} ({info.get('panel')} "
               f"{info.get('width')}x{info.get('height')}, SPI {mhz:.1f} MHz)")
    click.echo(f"photos     {info.get('photos')}")
    click.echo(f"free flash {info.get('free', 0):,} bytes")
    click.echo(f"battery    {battery_text(info.get('battery'))}")


# -- the simulator ---------------------------------------------------------------------


def _board_choice():
    from pendant.firmware import boards

    return click.Choice(sorted(boards.BOARDS))


@main.command()
@click.option("--screen", type=click.Path(dir_okay=False), default=None,
              help="Keep this PNG equal to what the simulated panel shows.")
@click.option("--flash", type=click.Path(file_okay=False), default="sim-flash",
              show_default=True,
              help="Folder holding the simulated flash (kept across restarts).")
@click.option("--board", type=_board_choice(), default="waveshare-rp2040-lcd-1.28",
              show_default=True, help="Board to simulate.")
@click.option("--firmware", "firmware_dir", type=click.Path(file_okay=False, exists=True),
              default=None, metavar="DIR",
              help="Run this firmware folder (your changed copy of the repository's "
                   "firmware/) instead of the one this tool installs.")
def sim(screen, flash, board, firmware_dir):
    """Run a simulated pendant until stopped (Ctrl-C).

    The first line printed is `port: /dev/pts/N`: use it as --port for the
    other commands, or with mpremote.
    """
    import signal

    from pendant.sim import Simulator

    if firmware_dir and not (Path(firmware_dir) / "main.py").is_file():
        fail(f"{firmware_dir} has no main.py: give a copy of the firmware/ folder")
    s = Simulator(flash_dir=flash, board=board, screen=screen, firmware_dir=firmware_dir)
    try:
        s.start()
    except RuntimeError:  # it did not boot: the console says why (a firmware change?)
        last = (s.console_log.strip().splitlines() or ["(no console output)"])[-1]
        fail(f"the simulated pendant did not boot: {last} (console: {s.console_log_path})")
    click.echo(f"port: {s.port}", nl=True)
    sys.stdout.flush()
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    try:
        while not stop and s.alive:
            time.sleep(0.2)
    except KeyboardInterrupt:
        stop.append(1)
    finally:
        died = not stop and not s.alive  # the interpreter ended on its own
        s.stop()
    if died:
        click.echo(f"error: the simulated pendant stopped; see {s.console_log_path}", err=True)
        sys.exit(1)


@main.command()
@click.option("--screen", type=click.Path(dir_okay=False), default="demo-screen.png",
              show_default=True, help="Where to save the simulated screen.")
@click.option("--board", type=_board_choice(), default="waveshare-rp2040-lcd-1.28",
              show_default=True, help="Board to simulate.")
def demo(screen, board):
    """Simulate a pendant, upload the sample photos to it, save its screen."""
    import tempfile

    from pendant.sim import Simulator

    photos = sorted(str(p) for p in SAMPLES.glob("*.jpg"))
    if not photos:
        fail(f"no sample photos in {SAMPLES}: this install of heart-pendant is incomplete")
    with tempfile.TemporaryDirectory(prefix="pendant-demo-") as flash:
        with Simulator(flash_dir=flash, board=board) as s:
            click.echo(f"simulated pendant on {s.port}")
            failures = upload_photos(s.port, photos, RenderOptions(), own_panel=True)
            if failures:
                fail("the demo upload failed")
            drawn = s.panel.version  # the new photo is drawn once the session ends
            # Count what the pendant holds: an upload that "worked" but left
            # nothing must not end in a black demo-screen.png and a success.
            client = open_client(s.port)
            try:
                stored = len(client.list())
            except link_mod.LinkError as e:
                fail(str(e))
            finally:
                client.close()
            if stored < len(photos):
                fail(f"only {stored} of {len(photos)} sample photos reached the simulated "
                     "pendant")
            s.wait_screen_change(timeout=10, since=drawn)
            shot = s.screenshot()
            shot.save(screen)
            if shot.getcolors(1) is not None:  # one colour: nothing was drawn (or lit)
                last = (s.console_log.strip().splitlines() or ["(no console output)"])[-1]
                fail(f"the simulated pendant's screen stayed blank ({screen}); its console "
                     f"ended with: {last}")
    click.echo(f"the pendant's screen is in {screen}")


from pendant import manage as _manage  # noqa: E402  (show, order, settings)

_manage.register(main)
from pendant.install import install_cmd  # noqa: E402

main.add_command(install_cmd)
from pendant import simday as _simday  # noqa: E402  (sim-day: power, battery life)

_simday.register(main)
from pendant import studio as _studio  # noqa: E402  (studio: the web app; its own extra)

_studio.register(main)

if __name__ == "__main__":
    main()

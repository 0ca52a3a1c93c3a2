"""The pipeline: photo -> the exact RGB565 pixels the panel receives."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from PIL import Image, ImageChops

from .. import glass
from . import load, mask
from .errors import PhotoError
from .options import RenderOptions

SIZE = mask.SIZE


@dataclass(frozen=True)
class Rendered:
    """One frame: what the panel shows, and which pixels are the photo's.

    rgb565: width*height*2 bytes, big-endian, row-major, background already in.
    coverage: width*height bytes; 0 means the pixel is exactly the background.
    """

    width: int
    height: int
    rgb565: bytes
    coverage: bytes
    background: int
    panel: str
    # The part of the (upright, turned) photo shown, in its full-size pixels
    # (x0, y0, x1, y1), mapped onto mask box `box` of the panel.
    crop: tuple[float, float, float, float] | None = None
    box: tuple[int, int, int, int] | None = None

    def to_image(self) -> Image.Image:
        """What a person sees on the panel's glass."""
        return glass.preview(self.rgb565, self.panel)


def render(source, options: RenderOptions | None = None) -> Rendered:
    """Render a photo (path or PIL image) for the pendant; bad input raises PhotoError."""
    opts = options if options is not None else RenderOptions()
    if not isinstance(opts, RenderOptions):
        raise PhotoError("bad option: options must be a RenderOptions")
    name = load.source_name(source)
    try:
        with warnings.catch_warnings():
            # Size limits are enforced by load (as PhotoError); Pillow's
            # warnings about big-but-allowed images must not reach the user.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return _render(source, opts)
    except PhotoError:
        raise
    except MemoryError:
        raise PhotoError("%s: too large to convert in memory" % name) from None
    except Exception as exc:  # noqa: BLE001 - the contract: one error type, one line
        detail = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        raise PhotoError("%s: cannot convert (%s)" % (name, detail)) from None


def _scale(crop, target, headroom: float) -> float:
    """Fraction of the photo's resolution that leaves `headroom` source pixels per output pixel."""
    return min(1.0, headroom * target[0] / (crop[2] - crop[0]))


def _render(source, opts: RenderOptions) -> Rendered:
    # The pixel work uses numpy, which takes a while to import: loaded with the
    # first photo, not by every command that imports pendant.photo.
    from . import color, dither, framing

    background = dither.rgb565_to_rgb888(opts.background)
    shape = mask.shape(
        opts.panel, opts.mask, opts.heart_scale, opts.heart_y, opts.outline is not None
    )
    bx0, by0, bx1, by1 = shape.box
    target = (bx1 - bx0, by1 - by0)
    where = framing.Target(shape.box, shape.centre, shape.coverage.tobytes(), SIZE)
    manual = opts.focus is not None
    # The user's zoom is kept as given, except the default 1.0 without a
    # focus point, which auto-framing may adjust (within limits).
    auto_zoom = not manual and opts.zoom == 1.0

    opened = load.open_photo(source, opts.frame)
    try:
        width, height = opened.oriented_size(opts.rotate)
        subject = framing.Subject(*opts.focus) if manual else framing.Subject(0.5, 0.5)
        full_box = framing.choose_crop(width, height, where, subject, opts.zoom, False)
        # Decode only as much resolution as the crop needs (JPEG draft mode).
        scale = _scale(full_box, target, color.HEADROOM)
        photo = load.decode(opened, scale, opts.rotate, background)
        if not manual:
            subject = framing.find_subject(photo, opts.faces)
            full_box = framing.choose_crop(width, height, where, subject, opts.zoom, auto_zoom)
            needed = _scale(full_box, target, 1.0)
            if needed > photo.size[0] / width * 1.001 and photo.size[0] < width:
                # Auto-framing zoomed in past what the draft decode kept.
                again = load.open_photo(source, opts.frame)
                try:
                    scale = _scale(full_box, target, color.HEADROOM)
                    photo = load.decode(again, scale, opts.rotate, background)
                finally:
                    again.close()
    finally:
        opened.close()

    fx, fy = photo.size[0] / width, photo.size[1] / height
    box = framing.scale_box(full_box, fx, fy)
    resized = color.resize_linear(photo, box, target, opts.panel, background)

    canvas = Image.new("RGB", (SIZE, SIZE), background)
    # Blended by coverage, as Image.composite would; outside the box the
    # coverage is 0 and the canvas stays background. (The box's coverage is
    # pasted out, not crop()ped: Pillow counts a crop against its bomb limit.)
    inside = Image.new("L", target)
    inside.paste(shape.coverage, (-bx0, -by0))
    canvas.paste(resized, (bx0, by0), inside)
    coverage = shape.coverage
    if shape.outline is not None and opts.outline is not None:
        ring = Image.new("RGB", (SIZE, SIZE), dither.rgb565_to_rgb888(opts.outline))
        canvas = Image.composite(ring, canvas, shape.outline)
        coverage = ImageChops.lighter(coverage, shape.outline)

    rgb565 = dither.frame(canvas, coverage, opts.dither, opts.background)
    return Rendered(
        width=SIZE,
        height=SIZE,
        rgb565=rgb565,
        coverage=coverage.tobytes(),
        background=opts.background,
        panel=opts.panel,
        crop=full_box,
        box=shape.box,
    )


"""Open any photo a phone or camera makes and hand back upright sRGB pixels.

The expensive part of a big photo is decoding it, so the caller says how much
resolution it needs and JPEGs decode at 1/2..1/8 scale in the DCT (draft
mode) instead of at full size.
"""

from __future__ import annotations

import errno
import functools
import io
import os
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, UnidentifiedImageError

from pendant import extras

from .errors import PhotoError, extra_broken, not_installed

try:  # HEIC/HEIF (iPhone) and, on older Pillow, AVIF; optional extra `heif`.
    import pillow_heif

    pillow_heif.register_heif_opener()
except Exception as e:  # noqa: BLE001 - any failure just means no HEIF support
    pillow_heif = None
    if not (isinstance(e, ImportError) and not_installed(e, "pillow_heif")):
        extra_broken("heif", e, "HEIC/HEIF photos cannot be read")

# Major brands of HEIF stills (ISO/IEC 23008-12): an iPhone's HEIC is "heic".
# Pillow reads none of them itself, so without the extra they need a hint.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1",
                         b"msf1"})

# EXIF tag 0x0112: values 5..8 include a quarter turn, so width and height swap.
ORIENTATION_TAG = 0x0112
_SWAPS_AXES = frozenset({5, 6, 7, 8})


@dataclass
class Opened:
    """A photo whose header is read but whose pixels are not decoded yet."""

    image: Image.Image
    name: str
    owned: bool  # we opened it, so we close it (and may mutate it with draft)
    orientation: int

    def oriented_size(self, rotate: float) -> tuple[int, int]:
        """The size after EXIF orientation and the user's quarter turns."""
        w, h = self.image.size
        if self.orientation in _SWAPS_AXES:
            w, h = h, w
        if _quarter_turns(rotate) % 2:
            w, h = h, w
        return w, h

    def close(self) -> None:
        if self.owned:
            self.image.close()


def source_name(source: object) -> str:
    if isinstance(source, Image.Image):
        return str(getattr(source, "filename", "") or "<image>")
    try:
        return os.fspath(source)  # type: ignore[arg-type]
    except TypeError:
        return repr(source)


def open_photo(source: object, frame: int = 0) -> Opened:
    """Read the header (and pick the frame); raise PhotoError with a one-line reason."""
    name = source_name(source)
    if isinstance(source, Image.Image):
        image, owned = source, False
    else:
        image = _open_path(source, name)
        owned = True
    try:
        _check_pixels(image, name)
        if frame:
            _seek(image, frame, name)
        return Opened(image, name, owned, _orientation(image))
    except BaseException:
        if owned:
            image.close()
        raise


def _open_path(source: object, name: str) -> Image.Image:
    try:
        path = os.fspath(source)  # type: ignore[arg-type]
    except TypeError:
        raise PhotoError("%s: not a file name or an image" % name) from None
    try:
        if os.path.isdir(path):
            raise PhotoError("%s: is a directory, not a photo" % name)
        if os.path.exists(path) and os.path.getsize(path) == 0:
            raise PhotoError("%s: empty file" % name)
        # A bomb's size is in its header; Pillow raises (or, between 1x and 2x
        # its limit, warns) while opening. Large JPEGs are fine (we decode them
        # reduced), so the warning is judged in _check_pixels instead.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except PhotoError:
        raise
    except Image.DecompressionBombError as exc:
        raise PhotoError(
            "%s: refused as a decompression bomb (%s)" % (name, _first_line(exc))
        ) from None
    except UnidentifiedImageError:
        if pillow_heif is None and _is_heif(path):
            raise PhotoError("%s: a HEIC/HEIF photo; %s" % (name, extras.hint("heif"))) from None
        raise PhotoError("%s: not an image, or a format this tool cannot read" % name) from None
    except OSError as exc:
        raise PhotoError("%s: %s" % (name, _os_reason(exc))) from None


def _is_heif(path) -> bool:
    """An ISO base media file (ftyp box first) of a HEIF brand."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def _check_pixels(image: Image.Image, name: str) -> None:
    w, h = image.size
    if w <= 0 or h <= 0:
        raise PhotoError("%s: image has no pixels" % name)
    limit = Image.MAX_IMAGE_PIXELS
    if limit is None:
        return
    # JPEGs decode at up to 1/8 scale, so they may be twice Pillow's limit
    # (which Pillow itself enforces at open); everything else decodes in full.
    if image.format != "JPEG" and w * h > limit:
        raise PhotoError(
            "%s: refused as a decompression bomb (%d x %d pixels is more than %d)"
            % (name, w, h, limit)
        )


def _seek(image: Image.Image, frame: int, name: str) -> None:
    count = getattr(image, "n_frames", 1)
    if frame >= count:
        plural = "" if count == 1 else "s"
        raise PhotoError("%s: has %d frame%s, no frame %d" % (name, count, plural, frame))
    try:
        image.seek(frame)
    except (EOFError, OSError, ValueError) as exc:
        raise PhotoError(
            "%s: cannot read frame %d (%s)" % (name, frame, _first_line(exc))
        ) from None


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not lose the photo
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def decode(opened: Opened, scale: float, rotate: float, background: tuple[int, int, int]):
    """Decode to an upright sRGB "RGB" image at about `scale` of the oriented size or more.

    Alpha is composed over `background` so transparent parts show the frame's
    background colour. Returns the image; its size says what scale was used.
    """
    image, name = opened.image, opened.name
    try:
        if opened.owned and image.format == "JPEG" and scale < 1:
            # Draft picks the smallest DCT scale that still gives at least
            # the requested size, so asking for `scale` never loses detail.
            w, h = image.size
            image.draft("RGB", (max(1, int(w * scale + 1)), max(1, int(h * scale + 1))))
        image.load()
        image = _transposed(image, opened.orientation)
        image = _rotated(image, rotate, background)
        out = to_srgb(image, background)
        # The opened image is closed (or is the caller's): never hand it back.
        return out.copy() if out is opened.image else out
    except PhotoError:
        raise
    except Image.DecompressionBombError as exc:
        raise PhotoError(
            "%s: refused as a decompression bomb (%s)" % (name, _first_line(exc))
        ) from None
    except MemoryError:
        raise PhotoError("%s: too large to decode in memory" % name) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise PhotoError("%s: %s" % (name, _decode_reason(exc))) from None


def _transposed(image: Image.Image, orientation: int) -> Image.Image:
    if orientation == 1:
        return image
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }[orientation]
    out = image.transpose(method)
    out.info = dict(image.info)  # keep the ICC profile and transparency
    return out


def _quarter_turns(rotate: float) -> int:
    return round(rotate / 90) % 4 if float(rotate) % 90 == 0 else 0


def _rotated(image: Image.Image, rotate: float, background: tuple[int, int, int]) -> Image.Image:
    if rotate % 360 == 0:
        return image
    turns = _quarter_turns(rotate)
    if turns:
        method = (None, Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180,
                  Image.Transpose.ROTATE_270)[turns]
        out = image.transpose(method)
    else:
        # Any other angle: turn about the centre, same size; the uncovered
        # corners take the background (zoom in to hide them).
        rgb = to_srgb(image, background)
        out = rgb.rotate(rotate, Image.Resampling.BICUBIC, fillcolor=background)
    out.info = dict(image.info)
    return out


def to_srgb(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Any mode and colour space -> 8-bit sRGB "RGB", alpha composed over background."""
    info = image.info
    image, alpha = _split_alpha(_to_8bit(image))
    icc = info.get("icc_profile")
    if icc and image.mode in ("RGB", "L", "CMYK"):
        converted = _apply_icc(image, icc)
        if converted is not None:
            image = converted
    if image.mode != "RGB":
        image = image.convert("RGB")
    if alpha is not None:
        backdrop = Image.new("RGB", image.size, background)
        image = Image.composite(image, backdrop, alpha)
    return image


def _to_8bit(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode.startswith("I;16"):
        # Pillow's I;16 -> L conversion clips at 255 instead of scaling.
        return image.convert("I").point(lambda v: v / 257).convert("L")
    if mode == "I":
        # 32-bit integer images come from 16-bit PNG/TIFF: scale 0..65535.
        return image.point(lambda v: v / 257).convert("L")
    if mode == "F":
        # Float TIFFs are taken as 0..1 light levels.
        return image.point(lambda v: v * 255).convert("L")
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return image
    if mode in ("La", "RGBa"):
        return image.convert(mode[:-1] + "A")
    if mode == "L" and "transparency" in image.info:
        return image.convert("LA")
    return image.convert("RGBA" if "A" in image.getbands() else "RGB")


def _split_alpha(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    if image.mode == "L" and "transparency" in image.info:
        image = image.convert("LA")
    if image.mode in ("RGBA", "LA"):
        alpha = image.getchannel("A")
        colour = image.convert(image.mode[:-1])
        if alpha.getextrema() == (255, 255):
            return colour, None
        return colour, alpha
    if image.mode == "RGB" and "transparency" in image.info:
        return _split_alpha(image.convert("RGBA"))
    return image, None


def _apply_icc(image: Image.Image, icc: bytes) -> Image.Image | None:
    transform = _transform(bytes(icc), image.mode)
    if transform is None:
        return None
    try:
        return ImageCms.applyTransform(image, transform)
    except (ImageCms.PyCMSError, ValueError, OSError):
        return None


@functools.lru_cache(maxsize=16)
def _transform(icc: bytes, mode: str):
    """A cached transform from the embedded profile to sRGB (None if unusable).

    Building one costs about as much as converting a small picture, and a
    phone's photos all carry the same profile.
    """
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if _is_srgb(source) and mode == "RGB":
            return None
        return ImageCms.buildTransform(
            source, _srgb(), mode, "RGB", ImageCms.Intent.PERCEPTUAL
        )
    except (ImageCms.PyCMSError, ValueError, OSError, TypeError):
        # A broken or mismatched profile (e.g. an RGB profile on a grey
        # image): show the pixels as they are rather than refuse the photo.
        return None


@functools.lru_cache(maxsize=1)
def _srgb():
    return ImageCms.createProfile("sRGB")


def _is_srgb(profile) -> bool:
    try:
        desc = ImageCms.getProfileDescription(profile)
    except ImageCms.PyCMSError:
        return False
    return desc.strip().lower().startswith(("srgb", "s rgb"))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.EACCES:
        return "permission denied"
    if exc.errno == errno.EISDIR:
        return "is a directory, not a photo"
    return exc.strerror or _first_line(exc)


def _decode_reason(exc: BaseException) -> str:
    text = _first_line(exc)
    if "truncated" in text or "broken data stream" in text or isinstance(exc, EOFError):
        return "truncated or damaged image data (%s)" % text
    if isinstance(exc, OSError) and exc.errno is not None:
        return _os_reason(exc)
    return "cannot decode image (%s)" % text

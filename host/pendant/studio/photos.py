"""The studio's photos: what the browser sent, each with its framing and the
frame the pendant would get, made by the same pipeline as `pendant preview`.

The browser never names a file on this machine: it sends a photo's bytes
(size-limited), they are kept in a private folder under a name the studio
makes, and from then on the photo is known by an id the studio makes. The
checked loader the CLI uses (pendant.photo.render on a path) reads them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pendant import frames as frames_mod
from pendant import glass
from pendant.photo import PhotoError, RenderOptions, load, mask, render
from pendant.photo import framing as framing_mod

MAX_PHOTO_BYTES = 64 * 1024 * 1024  # a 100 MP HEIC is ~30 MB; a RAW is not a photo here
MAX_PHOTOS = 500
MASKS = ("heart", "circle", "full")


class TooLarge(Exception):
    pass


def safe_name(name: str) -> str:
    """A display name with no directories in it (the browser's name is only a label)."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())[:120]
    return base or "photo"


@dataclass
class Framing:
    """By hand: focus None means auto-framing (the CLI's default)."""

    focus: tuple[float, float] | None = None
    zoom: float = 1.0
    rotate: float = 0.0
    mask: str = "heart"

    def options(self, panel: str) -> RenderOptions:
        return RenderOptions(panel=panel, mask=self.mask, focus=self.focus, zoom=self.zoom,
                             rotate=self.rotate)

    def to_json(self) -> dict:
        return {"focus": list(self.focus) if self.focus else None, "zoom": self.zoom,
                "rotate": self.rotate, "mask": self.mask}

    @classmethod
    def from_json(cls, d: dict) -> Framing:
        """Checked: a bad value raises PhotoError (RenderOptions checks the ranges)."""
        try:
            focus = d.get("focus")
            f = cls(
                focus=(float(focus[0]), float(focus[1])) if focus is not None else None,
                zoom=float(d.get("zoom", 1.0)),
                rotate=float(d.get("rotate", 0.0)) % 360,
                mask=str(d.get("mask", "heart")),
            )
        except (TypeError, ValueError, IndexError, KeyError):
            raise PhotoError("bad framing: focus [x, y], zoom, rotate, mask") from None
        if f.mask not in MASKS:
            raise PhotoError(f"bad framing: mask must be one of {', '.join(MASKS)}")
        f.options("gc9a01")  # RenderOptions checks every range
        return f


@dataclass
class Card:
    id: str
    name: str
    path: Path
    digest: str  # of the photo's bytes: what remembered framing is keyed by
    framing: Framing = field(default_factory=Framing)
    state: str = "new"  # new, converting, ready, error
    error: str | None = None
    panel: str = ""
    frame: frames_mod.FrameFile | None = None
    preview_png: bytes = b""
    version: int = 0
    # Where the subject sits with the framing shown (auto or by hand), so that
    # the first drag starts from what the card shows.
    shown: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "id": self.id, "name": self.name, "state": self.state, "error": self.error,
            "framing": self.framing.to_json(), "shown": self.shown, "panel": self.panel,
            "frame_id": self.frame.id if self.frame else None, "exact": self.frame is not None,
            "bytes": len(self.frame) if self.frame else None, "version": self.version,
        }


class Cache:
    """What outlives a run, under $XDG_CACHE_HOME/pendant/studio: the framing
    chosen per photo and a thumbnail of every frame uploaded (the pendant
    stores frames, which have no room for a name or a thumbnail)."""

    def __init__(self, root: Path | None = None):
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        self.root = Path(root) if root else Path(base) / "pendant" / "studio"
        self.lock = threading.Lock()

    def _framings_path(self) -> Path:
        return self.root / "framing.json"

    def _framings(self) -> dict:
        try:
            data = json.loads(self._framings_path().read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def framing(self, digest: str) -> Framing | None:
        with self.lock:
            d = self._framings().get(digest)
        if not isinstance(d, dict):
            return None
        try:
            return Framing.from_json(d)
        except PhotoError:
            return None

    def remember(self, digest: str, f: Framing) -> None:
        with self.lock:
            data = self._framings()
            data[digest] = f.to_json()
            self._write(self._framings_path(), json.dumps(data).encode())

    def thumb(self, frame_id: str) -> bytes | None:
        if not re.fullmatch(r"[0-9a-f]{4,64}", frame_id):
            return None
        try:
            return (self.root / "thumbs" / f"{frame_id}.png").read_bytes()
        except OSError:
            return None

    def has_thumb(self, frame_id: str) -> bool:
        return bool(re.fullmatch(r"[0-9a-f]{4,64}", frame_id)) and (
            self.root / "thumbs" / f"{frame_id}.png").is_file()

    def keep_thumb(self, frame_id: str, png: bytes, name: str) -> None:
        with self.lock:
            self._write(self.root / "thumbs" / f"{frame_id}.png", png)
            names_path = self.root / "names.json"
            try:
                names = json.loads(names_path.read_text())
            except (OSError, ValueError):
                names = {}
            names[frame_id] = name
            self._write(names_path, json.dumps(names).encode())

    def names(self) -> dict:
        try:
            names = json.loads((self.root / "names.json").read_text())
            return names if isinstance(names, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache: losing it costs thumbnails, never a photo


class PhotoStore:
    """Cards by id, their files in a private folder removed at close()."""

    def __init__(self, cache: Cache, quality: str = frames_mod.DEFAULT_QUALITY):
        self.pool = Converter()
        self.dir = Path(tempfile.mkdtemp(prefix="pendant-studio-"))
        os.chmod(self.dir, 0o700)
        self.cache = cache
        self.quality = quality
        self.cards: dict[str, Card] = {}
        self.order: list[str] = []
        self.lock = threading.Lock()

    def close(self) -> None:
        self.pool.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def add(self, name: str, data: bytes) -> Card:
        if len(data) > MAX_PHOTO_BYTES:
            raise TooLarge(f"{name}: larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
        with self.lock:
            if len(self.cards) >= MAX_PHOTOS:
                raise TooLarge(f"at most {MAX_PHOTOS} photos in one studio session")
            card_id = secrets.token_hex(6)
            name = safe_name(name)
            # The file's name is ours; only its extension is kept, as a hint
            # some decoders use (the loader reads the content either way).
            ext = re.sub(r"[^a-z0-9]", "", Path(name).suffix.lower())[:5]
            path = self.dir / (card_id + ("." + ext if ext else ""))
            path.write_bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            card = Card(card_id, name, path, digest)
            remembered = self.cache.framing(digest)
            if remembered:
                card.framing = remembered
            self.cards[card_id] = card
            self.order.append(card_id)
            return card

    def get(self, card_id: str) -> Card | None:
        return self.cards.get(card_id)

    def remove(self, card_id: str) -> None:
        with self.lock:
            card = self.cards.pop(card_id, None)
            if card_id in self.order:
                self.order.remove(card_id)
        if card:
            card.path.unlink(missing_ok=True)

    def all(self) -> list[Card]:
        return [self.cards[i] for i in self.order if i in self.cards]

    def convert(self, card: Card, panel: str, draft: bool = False) -> Card:
        """Render the card as `pendant preview` does (see render_card), in a
        worker process; errors stay on the card."""
        framing = card.framing
        card.state = "converting"
        try:
            out = self.pool.run(str(card.path), framing, panel, self.quality, draft)
        except PhotoError as e:
            card.state, card.error, card.frame = "error", self._message(e, card), None
            card.version += 1
            return card
        if card.framing is framing:  # not changed again while this one rendered
            card.frame = frames_mod.FrameFile(out["frame"]) if out["frame"] else None
            card.preview_png, card.panel, card.shown = out["png"], panel, out["shown"]
            card.state, card.error = "draft" if draft else "ready", None
            card.version += 1
        return card

    def _message(self, e: Exception, card: Card) -> str:
        # The loader names the file it read: name the photo the user dropped.
        return str(e).replace(str(card.path), card.name)

    def set_framing(self, card: Card, f: Framing) -> None:
        card.framing = f
        self.cache.remember(card.digest, f)


def render_card(path: str, f: Framing, panel: str, quality: str, draft: bool) -> dict:
    """Photo -> frame file -> the frame's own decoded pixels -> the panel's glass,
    as `pendant preview` does; PhotoError for a bad photo.

    draft (while a hand drags the photo): the rendered pixels without the
    frame's encode and decode, which take most of the time; they are what a
    lossless frame decodes to. Such a card is not uploaded until the exact
    render that follows."""
    r = render(path, f.options(panel))
    if draft:
        data, rgb = None, r.rgb565
    else:
        ff = frames_mod.from_render(r, quality)
        data = ff.data
        _w, _h, rgb = frames_mod.decode(data)
    out = io.BytesIO()
    glass.preview(rgb, r.panel).save(out, format="PNG", compress_level=1)
    return {"frame": data, "png": out.getvalue(), "shown": _shown(Path(path), f, r)}


class Converter:
    """Photos are converted in worker processes, as `pendant upload` does
    (pendant.batch): the pipeline is CPU work under the GIL, and OpenCV's
    shared face detector is not safe to call from several threads at once (it
    crashed the server that way). A worker that dies takes one photo with it,
    never the studio."""

    def __init__(self):
        from pendant.batch import workers_for

        self.workers = workers_for(64)
        self.lock = threading.Lock()
        self._pool = None

    def _get(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with self.lock:
            if self._pool is None:
                # spawn: the server has threads, which a forked child must not inherit.
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def run(self, path: str, f: Framing, panel: str, quality: str, draft: bool) -> dict:
        return self.call(path, render_card, path, f, panel, quality, draft)

    def call(self, name: str, fn, *args):
        """fn(*args) in a worker; PhotoError (naming `name`) if the worker died."""
        from concurrent.futures.process import BrokenProcessPool

        pool = self._get()
        try:
            return pool.submit(fn, *args).result()
        except BrokenProcessPool:
            with self.lock:
                if self._pool is pool:
                    self._pool = None
            raise PhotoError(f"{name}: the converter crashed on this photo") from None

    def close(self) -> None:
        with self.lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _shown(path: Path, f: Framing, r) -> dict:
    """The framing a render ended up with, as focus/zoom a hand can start from,
    and how far the focus moves per panel pixel dragged."""
    opened = load.open_photo(str(path))
    try:
        width, height = opened.oriented_size(f.rotate)
    finally:
        opened.close()
    x0, y0, x1, y1 = r.crop
    bx0, by0, bx1, by1 = r.box
    shape = mask.shape(r.panel, f.mask, RenderOptions().heart_scale, 0.0, False)
    ax, ay = shape.centre
    per_px_x = (x1 - x0) / (bx1 - bx0)  # photo pixels per panel pixel
    per_px_y = (y1 - y0) / (by1 - by0)
    fx = (x0 + (ax - bx0) * per_px_x) / width
    fy = (y0 + (ay - by0) * per_px_y) / height
    bw, _bh = framing_mod.base_size(width, height, (bx1 - bx0, by1 - by0))
    return {
        "focus": [min(1.0, max(0.0, fx)), min(1.0, max(0.0, fy))],
        "zoom": bw / (x1 - x0),
        "per_px": [per_px_x / width, per_px_y / height],
    }


def replace_framing(f: Framing, **changes) -> Framing:
    return dataclasses.replace(f, **changes)

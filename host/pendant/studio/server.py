"""The studio's web server: a Starlette app on loopback, for one user.

Security (the page can fill and empty a pendant, so another web page or
host must not reach it):
- it listens on 127.0.0.1 only (the socket is bound by the caller);
- every request whose Host is not the studio's own address is refused, which
  defeats DNS rebinding; every request with an Origin (or a Sec-Fetch-Site of
  cross-site) that is not the studio's own is refused, which stops a cross-site
  POST from any page the user visits;
- the page and the API need this run's random token (in a header, or for
  images in the query), so even a local program that guesses the port cannot
  drive it without reading the printed URL;
- the browser never names a path on this machine: photos come as bytes,
  size-limited, and are read by the CLI's own checked loader.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import threading
from pathlib import Path
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pendant import frames as frames_mod
from pendant import link as link_mod
from pendant.photo import PhotoError
from pendant.studio import device as device_mod
from pendant.studio import photos as photos_mod

STATIC = Path(__file__).parent / "static"
TOKEN_HEADER = "x-studio-token"
PANELS = ("gc9a01", "st7789")
# littlefs on the pendant: 4 KiB blocks, and about one more per file for its
# metadata (frames.AUTO_BUDGET counts the same).
BLOCK = 4096


def fit_report(free: int | None, sizes: list[int], typical: int) -> dict:
    """How many of the photos about to be sent fit in `free` bytes (in order),
    and about how many more of `typical` size would fit after them."""
    if free is None:
        return {"free": None, "count": len(sizes), "fits": None, "more": None,
                "need": sum(sizes)}

    def cost(n: int) -> int:
        return -(-n // BLOCK) * BLOCK + BLOCK

    left, fits = free, 0
    for s in sizes:
        if cost(s) > left:
            break
        left -= cost(s)
        fits += 1
    more = max(0, left // cost(typical)) if fits == len(sizes) else 0
    return {"free": free, "count": len(sizes), "fits": fits, "more": more,
            "need": sum(cost(s) for s in sizes)}


class Studio:
    """Everything one run serves: the photos, the pendant, maybe a simulator."""

    def __init__(self, port_arg: str | None, sim=None, cache: photos_mod.Cache | None = None,
                 quality: str = frames_mod.DEFAULT_QUALITY):
        self.token = secrets.token_urlsafe(24)
        self.sim = sim
        self.cache = cache or photos_mod.Cache()
        self.store = photos_mod.PhotoStore(self.cache, quality)
        self.cable = device_mod.SimCable() if sim else None
        self.pendant = device_mod.Pendant(
            sim.port if sim else port_arg, self._uploaded,
            port_present=self.cable.present if self.cable else None,
            wrap=self.cable.wrap if self.cable else None)
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2
        self.converting = threading.BoundedSemaphore(max(1, workers))
        self.address = ""  # host:port, set by bind()

    def bind(self, host_port: str) -> None:
        self.address = host_port
        port = host_port.rsplit(":", 1)[1]
        self.hosts = {host_port, f"localhost:{port}"}
        self.origins = {f"http://{h}" for h in self.hosts}

    @property
    def url(self) -> str:
        return f"http://{self.address}/?token={self.token}"

    def start(self) -> None:
        self.pendant.start()

    def close(self) -> None:
        self.pendant.stop()
        self.store.close()

    @property
    def panel(self) -> str:
        if self.sim is not None:
            return self.sim.board["panel"]
        p = self.pendant.info.get("panel")
        return p if p in PANELS else "gc9a01"

    def _uploaded(self, item: device_mod.UploadItem) -> None:
        self.cache.keep_thumb(item.frame_id, item.thumb, item.name)

    def convert(self, card: photos_mod.Card, draft: bool = False) -> photos_mod.Card:
        with self.converting:
            return self.store.convert(card, self.panel, draft)

    def state(self) -> dict:
        p = self.pendant.to_json()
        on_pendant = {ph["id"] for ph in p["photos"]}
        names = self.cache.names()
        for ph in p["photos"]:
            ph["known"] = self.cache.has_thumb(ph["id"])
            ph["name"] = names.get(ph["id"])
        cards = [c.to_json() for c in self.store.all()]
        for c in cards:
            c["on_pendant"] = c["frame_id"] in on_pendant
        pending = [c["bytes"] for c in cards if c["state"] == "ready" and not c["on_pendant"]]
        sizes = [c["bytes"] for c in cards if c["bytes"]] + [ph["size"] for ph in p["photos"]]
        typical = sum(sizes) // len(sizes) if sizes else frames_mod.AUTO_BUDGET
        free = p["info"]["free"] if p["connected"] else None
        return {
            "pendant": p, "cards": cards, "panel": self.panel,
            "fit": fit_report(free, pending, typical),
            "firmware": self.firmware_available,
            "sim": {"version": self.sim.panel.version, "plugged": self.cable.plugged}
            if self.sim and self.cable else None,
        }

    @functools.cached_property
    def firmware_available(self) -> str | None:
        """The firmware this tool installs (read once: the page asks often)."""
        from pendant import install as install_mod

        try:
            return install_mod.firmware_version(install_mod.firmware_dir())
        except (OSError, ValueError):
            return None


# -- security ---------------------------------------------------------------------


class Guard:
    """ASGI middleware: Host, Origin and token checks before any route runs."""

    def __init__(self, app, studio: Studio):
        self.app = app
        self.studio = studio

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}
        why = self.refuse(scope, headers)
        if why:
            resp = PlainTextResponse(f"refused: {why}\n", status_code=403)
            return await resp(scope, receive, send)
        return await self.app(scope, receive, send)

    def refuse(self, scope, headers: dict) -> str | None:
        s = self.studio
        if headers.get("host") not in s.hosts:
            return "wrong Host (the studio answers only at its own address)"
        origin = headers.get("origin")
        if origin is not None and origin not in s.origins:
            return "request from another site"
        if headers.get("sec-fetch-site") == "cross-site":
            return "request from another site"
        path = scope["path"]
        if path.startswith("/static/"):
            return None  # the page's own code: public, no secrets in it
        token = headers.get(TOKEN_HEADER)
        if token is None:
            query = dict(_query(scope))
            token = query.get("token") or query.get("t")
        if not token or not secrets.compare_digest(token, s.token):
            return "missing or wrong token: open the address `pendant studio` printed"
        return None


def _query(scope):
    raw = scope.get("query_string", b"").decode("latin-1")
    for part in raw.split("&"):
        k, _, v = part.partition("=")
        if k:
            yield unquote(k), unquote(v)


# -- routes -------------------------------------------------------------------------


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})


def create_app(studio: Studio) -> Starlette:
    page = (STATIC / "index.html").read_text()

    async def index(request: Request):
        html = page.replace("{{TOKEN}}", studio.token)
        return HTMLResponse(html, headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; "
                                       "style-src 'self'; script-src 'self'; "
                                       "frame-ancestors 'none'",
            "X-Frame-Options": "DENY",
        })

    async def state(request: Request):
        return JSONResponse(await run_in_threadpool(studio.state))

    async def add_photo(request: Request):
        name = photos_mod.safe_name(unquote(request.headers.get("x-filename", "photo")))
        limit = photos_mod.MAX_PHOTO_BYTES
        try:
            declared = int(request.headers.get("content-length", "0"))
        except ValueError:
            declared = 0
        if declared > limit:
            return _error(f"{name}: larger than {limit // (1024 * 1024)} MB", 413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                return _error(f"{name}: larger than {limit // (1024 * 1024)} MB", 413)
        try:
            card = studio.store.add(name, bytes(body))
        except photos_mod.TooLarge as e:
            return _error(str(e), 413)
        card.state = "converting"
        await run_in_threadpool(studio.convert, card)
        return JSONResponse(card.to_json())

    def _card(request: Request) -> photos_mod.Card | None:
        return studio.store.get(request.path_params["card"])

    async def preview(request: Request):
        card = _card(request)
        if card is None or not card.preview_png:
            return _error("no such photo", 404)
        return _png(card.preview_png)

    async def set_framing(request: Request):
        card = _card(request)
        if card is None:
            return _error("no such photo", 404)
        try:
            body = await request.json()
            f = photos_mod.Framing.from_json(body if isinstance(body, dict) else {})
        except (ValueError, PhotoError) as e:
            return _error(str(e) if isinstance(e, PhotoError) else "send the framing as JSON")
        studio.store.set_framing(card, f)
        await run_in_threadpool(studio.convert, card, request.query_params.get("draft") == "1")
        return JSONResponse(card.to_json())

    async def rerender(request: Request):
        card = _card(request)
        if card is None:
            return _error("no such photo", 404)
        await run_in_threadpool(studio.convert, card)
        return JSONResponse(card.to_json())

    async def drop_card(request: Request):
        studio.store.remove(request.path_params["card"])
        return JSONResponse({"ok": True})

    async def upload(request: Request):
        body = await _json(request)
        ids = body.get("cards") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            return _error("send {\"cards\": [ids]}")
        items = []
        for cid in ids:
            card = studio.store.get(str(cid))
            if card is None or card.state != "ready":
                continue
            if card.panel != studio.panel:  # made before the pendant said its panel
                await run_in_threadpool(studio.convert, card)
                if card.state != "ready":
                    continue
            ff = card.frame
            assert ff is not None
            items.append(device_mod.UploadItem(card.id, card.name, ff.id, len(ff), ff.data,
                                               card.preview_png))
        if not items:
            return _error("no converted photos to upload")
        try:
            studio.pendant.submit(device_mod.Job("upload", items))
        except link_mod.LinkError as e:
            return _error(str(e), 409)
        return JSONResponse({"ok": True})

    async def pendant_call(request: Request, fn):
        try:
            result = await run_in_threadpool(studio.pendant.call, fn)
        except link_mod.LinkError as e:
            status = 503 if isinstance(e, (link_mod.NotFound, link_mod.Disconnected)) else 400
            return _error(str(e), status)
        return JSONResponse({"ok": True, "result": result})

    async def order(request: Request):
        body = await _json(request)
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return _error("send {\"ids\": [photo ids in order]}")

        def fn(c):
            have = [p.id for p in c.list()]
            if sorted(have) != sorted(ids):
                raise link_mod.LinkError("the pendant's photos changed: look again")
            c.order(ids)
        return await pendant_call(request, fn)

    async def one_photo(request: Request, action: str):
        body = await _json(request)
        pid = body.get("id") if isinstance(body, dict) else None
        if not isinstance(pid, str):
            return _error("send {\"id\": photo id}")

        def fn(c):
            from pendant.manage import resolve

            full = resolve([p.id for p in c.list()], pid)
            (c.show if action == "show" else c.remove)(full)
        return await pendant_call(request, fn)

    async def show(request: Request):
        return await one_photo(request, "show")

    async def remove(request: Request):
        return await one_photo(request, "remove")

    async def settings(request: Request):
        body = await _json(request)
        if not isinstance(body, dict) or not body:
            return _error("send {\"name\": value}")
        unknown = [k for k in body if k not in device_mod.SETTING_NAMES]
        if unknown:
            return _error(f"unknown setting {unknown[0]!r}")
        changes = {k: v for k, v in body.items() if isinstance(v, (int, str))}
        return await pendant_call(request, lambda c: c.set_settings(changes))

    async def install(request: Request):
        if studio.pendant.port is None:
            return _error("no pendant connected: plug it in", 503)
        try:
            studio.pendant.submit(device_mod.Job("install"))
        except link_mod.LinkError as e:
            return _error(str(e), 409)
        return JSONResponse({"ok": True})

    async def thumb(request: Request):
        data = studio.cache.thumb(request.path_params["frame"])
        return _png(data) if data else _error("no thumbnail", 404)

    async def sim_screen(request: Request):
        if studio.sim is None:
            return _error("no simulated pendant (start with --sim)", 404)

        def shot() -> bytes:
            import io

            out = io.BytesIO()
            studio.sim.screenshot().save(out, format="PNG")
            return out.getvalue()
        return _png(await run_in_threadpool(shot))

    async def sim_cable(request: Request):
        if studio.cable is None:
            return _error("no simulated pendant (start with --sim)", 404)
        body = await _json(request)
        if not isinstance(body, dict) or not isinstance(body.get("plugged"), bool):
            return _error("send {\"plugged\": true or false}")
        studio.cable.plugged = body["plugged"]
        studio.pendant.wake()
        return JSONResponse({"ok": True})

    routes = [
        Route("/", index),
        Route("/api/state", state),
        Route("/api/photos", add_photo, methods=["POST"]),
        Route("/api/photos/{card}/preview.png", preview),
        Route("/api/photos/{card}/framing", set_framing, methods=["PUT"]),
        Route("/api/photos/{card}/render", rerender, methods=["POST"]),
        Route("/api/photos/{card}", drop_card, methods=["DELETE"]),
        Route("/api/upload", upload, methods=["POST"]),
        Route("/api/pendant/order", order, methods=["POST"]),
        Route("/api/pendant/show", show, methods=["POST"]),
        Route("/api/pendant/remove", remove, methods=["POST"]),
        Route("/api/pendant/settings", settings, methods=["POST"]),
        Route("/api/pendant/install", install, methods=["POST"]),
        Route("/api/thumbs/{frame}.png", thumb),
        Route("/api/sim/screen.png", sim_screen),
        Route("/api/sim/cable", sim_cable, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(Guard, studio=studio)
    return app


async def _json(request: Request):
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None

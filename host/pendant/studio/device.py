"""The pendant's side of the studio: finding it, keeping its state, and doing
what the page asks, each in a short session of pendant.link.Client (as every
CLI command does), so an unplugged cable costs one failed request, never a
stuck session.

One worker thread owns the link: it watches for the pendant coming and going
(USB auto-detect, or the --port / simulator port) and runs the queued jobs
(upload, install). Short requests (list, order, show, remove, settings) run
under the same lock from the server's thread pool.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pendant import link as link_mod

POLL_S = 1.0  # how often to look for a pendant coming or going
REFRESH_S = 30.0  # battery and storage are read again this often while idle
RETRY_S = 3.0  # a port that did not answer as a pendant (booting? no firmware?) is tried again
SETTING_NAMES = ("interval_s", "brightness", "transition", "rotation", "dim_after_s",
                 "dim_percent", "sleep_after_s", "deep_after_s")


@dataclass
class UploadItem:
    card_id: str
    name: str
    frame_id: str
    size: int
    data: bytes
    thumb: bytes
    done: int = 0
    state: str = "waiting"  # waiting, sending, done, skipped, failed
    error: str = ""

    def to_json(self) -> dict:
        return {"card": self.card_id, "name": self.name, "frame_id": self.frame_id,
                "size": self.size, "done": self.done, "state": self.state,
                "error": self.error}


@dataclass
class Job:
    kind: str  # "upload" or "install"
    items: list[UploadItem] = field(default_factory=list)
    state: str = "running"  # running, waiting (for the pendant), done, failed
    message: str = ""
    log: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        total = sum(i.size for i in self.items)
        done = sum(i.size if i.state in ("done", "skipped") else i.done for i in self.items)
        return {"kind": self.kind, "state": self.state, "message": self.message,
                "items": [i.to_json() for i in self.items], "total": total, "done": done,
                "log": self.log[-12:]}


class SimCable:
    """The simulated pendant's USB cable, which the page can pull out: while
    out, its port is gone and every read or write fails, as with a real one."""

    def __init__(self):
        self.plugged = True

    def present(self, port: str) -> bool:
        return self.plugged and os.path.exists(port)

    def wrap(self, ser):
        cable = self

        class Wire:
            def _check(self):
                if not cable.plugged:
                    raise OSError(errno.EIO, "device disconnected")

            def write(self, data):
                self._check()
                return ser.write(data)

            def read(self, n):
                self._check()
                return ser.read(n)

            def reset_input_buffer(self):
                ser.reset_input_buffer()

            def close(self):
                ser.close()

        return Wire()


class Pendant:
    def __init__(self, port: str | None, on_uploaded: Callable[[UploadItem], None],
                 port_present: Callable[[str], bool] | None = None, wrap=None):
        self.port_arg = port  # --port, $PENDANT_PORT or the simulator's; None: auto
        self.on_uploaded = on_uploaded
        self.port_present = port_present or os.path.exists
        self.wrap = wrap  # link.Client's transport hook (tests cut the cable with it)
        self.lock = threading.RLock()  # one session at a time
        self.changed = threading.Condition()
        self.version = 0
        self.port: str | None = None
        self.connected = False
        self.info: dict = {}
        self.photos: list[dict] = []
        self.settings: dict = {}
        self.message = "looking for a pendant"
        self.job: Job | None = None
        self.jobs: list[Job] = []
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._last_refresh = 0.0
        self._thread = threading.Thread(target=self._run, name="studio-pendant", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.ident is not None:  # started (a stop may come before)
            self._thread.join(10)

    # -- state ----------------------------------------------------------------

    def _bump(self) -> None:
        with self.changed:
            self.version += 1
            self.changed.notify_all()

    def to_json(self) -> dict:
        info = self.info
        return {
            "connected": self.connected, "port": self.port, "message": self.message,
            # A board on the port that is not (yet) running this firmware: the
            # page offers the install there too.
            "installable": self.port is not None,
            "info": {k: info.get(k) for k in ("fw", "proto", "micropython", "board", "panel",
                                              "width", "height", "photos", "free", "battery")},
            "photos": self.photos, "settings": self.settings,
            "job": self.job.to_json() if self.job else None,
        }

    # -- sessions ---------------------------------------------------------------

    def _find(self) -> str | None:
        try:
            port = link_mod.find_port(self.port_arg)
        except link_mod.NotFound:
            return None
        return port if self.port_present(port) else None

    def session(self) -> link_mod.Client:
        """An open Client (the caller closes it, holding self.lock)."""
        if not self.connected or not self.port:
            raise link_mod.NotFound("no pendant connected: plug it in")
        c = link_mod.Client(self.port, wrap=self.wrap)
        try:
            c.open()
        except link_mod.LinkError:
            self._lost()
            raise
        self.info = c.info
        return c

    def call(self, fn: Callable[[link_mod.Client], object]):
        """Run fn(client) in a session, then read the list again; LinkError passes
        up (one line) and a vanished pendant is noticed."""
        with self.lock:
            c = self.session()
            try:
                result = fn(c)
                self._read_state(c)
                return result
            except (link_mod.Disconnected, link_mod.Timeout):
                self._lost()
                raise
            finally:
                c.close()
                self._bump()

    def _read_state(self, c: link_mod.Client) -> None:
        self.photos = [{"id": p.id, "size": p.size} for p in c.list()]
        self.settings = c.settings() or {}
        c.hello()  # free space, photo count and battery as they are now
        self.info = c.info
        self._last_refresh = time.monotonic()

    def _connect(self, port: str) -> None:
        with self.lock:
            c = link_mod.Client(port, wrap=self.wrap)
            try:
                c.open()
                self.port = port
                self._read_state(c)
                # Last: whoever sees `connected` also sees its list and status.
                self.message = f"pendant on {port}"
                self.connected = True
            except link_mod.LinkError as e:
                self.port, self.connected = port, False
                self.message = str(e)
            finally:
                c.close()
        self._bump()

    def _lost(self, why: str = "") -> None:
        was = self.connected
        self.connected = False
        self.message = why or "the pendant was unplugged: plug it in again"
        if was:
            self._bump()

    # -- the worker ---------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        retry_at = 0.0
        while not self._stop.is_set():
            port = self._find()
            if port is None:
                retry_at = 0.0
                self.port = None
                why = ("no pendant connected: plug one in" if self.port_arg is None
                       else f"no pendant at {self.port_arg}: plug it in")
                if self.connected:
                    self._lost(why)
                elif self.message != why:
                    self.message = why
                    self._bump()
            elif not self.connected and time.monotonic() >= retry_at:
                self._connect(port)
                retry_at = 0.0 if self.connected else time.monotonic() + RETRY_S
            elif self.connected and time.monotonic() - self._last_refresh > REFRESH_S:
                try:
                    self.call(lambda c: None)
                except link_mod.LinkError:
                    pass
            job = self.job
            if job and job.state in ("running", "waiting") and (
                    self.connected or (job.kind == "install" and self.port)):
                self._run_job(job)
            self._wake.wait(POLL_S)
            self._wake.clear()

    # -- jobs ------------------------------------------------------------------

    def submit(self, job: Job) -> None:
        if self.job and self.job.state in ("running", "waiting"):
            raise link_mod.LinkError("an upload or install is already running")
        self.job = job
        self._bump()
        self.wake()

    def _run_job(self, job: Job) -> None:
        job.state = "running"
        job.message = ""
        self._bump()
        try:
            if job.kind == "upload":
                self._upload(job)
            else:
                self._install(job)
        except (link_mod.Disconnected, link_mod.Timeout, link_mod.NotFound) as e:
            # Unplugged mid-way: the pendant keeps the part received (never in
            # the slideshow); the job resumes when it is back.
            job.state = "waiting"
            job.message = f"{e}; the upload resumes when the pendant is back"
            self._lost("the pendant went away during the upload: plug it in again")
        except link_mod.LinkError as e:
            job.state, job.message = "failed", str(e)
        self._bump()

    def _upload(self, job: Job) -> None:
        todo = [i for i in job.items if i.state not in ("done", "skipped", "failed")]
        with self.lock:
            c = self.session()
            try:
                for item in todo:
                    item.state = "sending"
                    self._bump()

                    def progress(n, item=item):
                        item.done = n
                        self._bump()

                    try:
                        result = c.put(item.data, item.frame_id, progress=progress)
                    except link_mod.DeviceError as e:
                        item.state, item.error = "failed", str(e)
                        job.log.append(f"{item.name}: {e}")
                        continue
                    except link_mod.LinkError:
                        item.state = "waiting"
                        raise
                    item.state = "skipped" if result == "skipped" else "done"
                    item.done = item.size
                    job.log.append(f"{item.name}: " + ("already on the pendant"
                                                       if result == "skipped" else "uploaded"))
                    self.on_uploaded(item)
                self._read_state(c)
            finally:
                c.close()
        failed = [i for i in job.items if i.state == "failed"]
        job.state = "failed" if failed else "done"
        n = len(job.items) - len(failed)
        job.message = f"{n} of {len(job.items)} photos on the pendant" + (
            f", {len(failed)} failed" if failed else "")

    def _install(self, job: Job) -> None:
        from pendant import install as install_mod

        port = self.port
        with self.lock:
            try:
                result = install_mod.install(port, None, progress=lambda s: (
                    job.log.append(s), self._bump()))
            except install_mod.InstallError as e:
                job.state, job.message = "failed", str(e)
                return
            self.info = result.info
        job.state, job.message = "done", f"firmware {result.info.get('fw')} installed"
        # Read everything again in a fresh session.
        self.connected = False
        self._connect(port)

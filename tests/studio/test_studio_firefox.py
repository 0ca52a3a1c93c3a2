"""`pendant studio --sim` in Debian's Firefox (firefox-esr, headless), for what
differs between browsers: drop and pick photos (with a broken one), drag a
subject with the pointer, reorder by drag and drop, upload, the simulated panel
as the page shows it equal to the card's preview, a setting typed in, a photo
removed.

Firefox is driven over WebDriver BiDi by puppeteer-core from node
(tests/studio/firefox/driver.mjs, pinned by its package-lock.json, installed by
`make firefox`); the driver only acts, every check is here. No browser is
downloaded: Playwright's Firefox is a patched build, and Debian has no
geckodriver, but stock Firefox speaks BiDi itself."""

from __future__ import annotations

import base64
import io
import json
import os
import queue
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "host" / "pendant" / "samples"
DRIVER = Path(__file__).parent / "firefox" / "driver.mjs"
FIREFOX = "/usr/bin/firefox-esr"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(not os.path.exists(FIREFOX),
                       reason="no /usr/bin/firefox-esr (make firefox installs it)"),
    pytest.mark.skipif(NODE is None, reason="no node: the Firefox driver runs in node"),
    pytest.mark.skipif(not (DRIVER.parent / "node_modules" / "puppeteer-core").is_dir(),
                       reason="no puppeteer-core (make firefox installs it)"),
]


class Firefox:
    """The page in Firefox, through driver.mjs: one JSON line each way per call."""

    def __init__(self, log: Path):
        self.log = log.open("w")
        self.proc = subprocess.Popen([NODE, str(DRIVER), FIREFOX], cwd=DRIVER.parent,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self.version = self._answer(90)  # Firefox is up
        except AssertionError:
            self.close()
            raise

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")  # the driver is gone

    def _answer(self, timeout: float):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the Firefox driver said nothing for {timeout} s") from None
        if not line:
            self.log.flush()
            tail = Path(self.log.name).read_text()[-2000:]
            raise AssertionError(f"the Firefox driver exited; its stderr:\n{tail}")
        reply = json.loads(line)
        if not reply["ok"]:
            raise AssertionError(reply["error"])
        return reply["value"]

    def __call__(self, op: str, timeout: float = 90, **args):
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        return self._answer(timeout)

    def eval(self, expr: str):
        return self("eval", expr=expr)

    def wait(self, expr: str, timeout: float = 60):
        return self("wait", expr=expr, timeout=timeout + 30, ms=timeout * 1000)

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({"op": "close"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def firefox(tmp_path):
    ff = Firefox(tmp_path / "driver.log")
    yield ff
    ff.close()


def wait_until(fn, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def drop_files(ff: Firefox, files: dict[str, bytes]) -> None:
    """A drop event carrying File objects, as a desktop drag delivers it (no
    WebDriver can drag from the desktop, so the page gets the events)."""
    payload = json.dumps({n: base64.b64encode(d).decode() for n, d in files.items()})
    ff.eval(f"""(() => {{
        const dt = new DataTransfer();
        for (const [name, b64] of Object.entries({payload})) {{
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            dt.items.add(new File([bytes], name, {{ type: 'image/jpeg' }}));
        }}
        const target = document.getElementById('drop');
        for (const type of ['dragenter', 'dragover', 'drop']) {{
            target.dispatchEvent(new DragEvent(type, {{ dataTransfer: dt, bubbles: true,
                                                        cancelable: true }}));
        }}
    }})()""")


def shown_image(ff: Firefox, selector: str) -> Image.Image:
    """The pixels Firefox decoded for an <img> in the page (drawn to a canvas
    at its own size): what a person sees, before any CSS scaling."""
    url = ff.eval(f"""(() => {{
        const img = document.querySelector({json.dumps(selector)});
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        c.getContext('2d').drawImage(img, 0, 0);
        return c.toDataURL('image/png');
    }})()""")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")


def test_studio_in_firefox(studio_sim, firefox, tmp_path):
    s = studio_sim
    ff = firefox
    assert ff.version.startswith("firefox/"), ff.version

    def get(path):
        req = urllib.request.Request(f"{s.base}{path}", headers={"X-Studio-Token": s.token})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()

    def state():
        return json.loads(get("/api/state"))

    def png(path):
        return Image.open(io.BytesIO(get(path))).convert("RGB")

    def same(a, b):
        return a.size == b.size and ImageChops.difference(a, b).getbbox() is None

    ff("goto", url=s.url)
    ff.wait("document.querySelector('#status[data-connected=true]')")

    # -- a number field with letters in it: Firefox lets them in (Chromium does
    # not), its value is then "", and nothing may reach the pendant (Number("") is
    # 0, "never" for the timers) -----------------------------------------------------
    sleep_s = state()["pendant"]["settings"]["sleep_after_s"]
    assert sleep_s != 0
    ff("type", selector="#settings [name=sleep_after_s]", text="4x")
    ff.wait("document.getElementById('settings-error').textContent === "
            "'Screen off after s (0: never): enter a whole number of 0 or more'")
    # The next poll puts the pendant's own value back in the field.
    ff.wait(f"document.querySelector('#settings [name=sleep_after_s]').value === '{sleep_s}'")
    assert state()["pendant"]["settings"]["sleep_after_s"] == sleep_s

    # -- settings, typed in: the pendant takes them at once (change fires on Tab) ---
    for name, value in (("brightness", "100"), ("interval_s", "600"),
                        ("dim_after_s", "0"), ("sleep_after_s", "0")):
        ff("type", selector=f"#settings [name={name}]", text=value)
        wait_until(lambda n=name, v=value: str(state()["pendant"]["settings"].get(n)) == v,
                   what=f"{name}={value} on the pendant")
    assert ff.eval("document.getElementById('settings-error').textContent") == ""

    # -- drop two photos and a broken file: the broken one's message on its card ----
    good = (SAMPLES / "chelsea.jpg").read_bytes()
    drop_files(ff, {"chelsea.jpg": good,
                    "astronaut.jpg": (SAMPLES / "astronaut.jpg").read_bytes(),
                    "broken.jpg": good[:300]})
    ff.wait("document.querySelectorAll('.card').length === 3 && "
            "[...document.querySelectorAll('.card')].every(c => "
            "['ready','error'].includes(c.dataset.state))")
    cards = ff.eval("[...document.querySelectorAll('.card')].map(c => ["
                    "c.querySelector('.name').textContent, c.dataset.state, "
                    "c.querySelector('.msg').textContent])")
    assert {n: st for n, st, _ in cards} == {"chelsea.jpg": "ready", "astronaut.jpg": "ready",
                                             "broken.jpg": "error"}, cards
    msgs = {n: m for n, _, m in cards}
    assert msgs["broken.jpg"].startswith("broken.jpg: "), msgs
    assert all(m.endswith("KiB") for n, m in msgs.items() if n != "broken.jpg"), msgs
    # Drawn as in Chromium: the broken card's empty picture paints nothing (no
    # broken-image outline), and each control sits centred on its label's text.
    error_frame = ".card[data-state=error] .frame"
    drawn = ff("shot", selector=error_frame)
    ff.eval(f"document.querySelector('{error_frame} .preview').hidden = true")
    assert ff("shot", selector=error_frame) == drawn
    ff.eval(f"document.querySelector('{error_frame} .preview').hidden = false")
    off = ff.eval("""[...document.querySelectorAll('.card[data-state=ready] .controls label')]
        .map((l) => { const r = document.createRange(); r.selectNodeContents(l.firstChild);
                      const t = r.getBoundingClientRect();
                      const c = l.querySelector('input, select').getBoundingClientRect();
                      return [l.firstChild.textContent.trim(),
                              (c.top + c.bottom) / 2 - (t.top + t.bottom) / 2]; })""")
    assert len(off) == 6 and all(abs(d) <= 2 for _, d in off), off
    ready = [c for c in state()["cards"] if c["state"] == "ready"]
    assert [c["name"] for c in ready] == ["chelsea.jpg", "astronaut.jpg"]
    ff.wait("document.getElementById('fit').textContent"
            ".startsWith('all 2 fit; room for about')")

    # -- drag the subject with the pointer (pointer capture, moves, release) -------
    cat = next(c for c in ready if c["name"] == "chelsea.jpg")
    before = png(f"/api/photos/{cat['id']}/preview.png")
    box = ff("box", selector=f".card[data-card='{cat['id']}'] .frame")
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    ff("mouse", steps=[["move", cx, cy], ["down", 0, 0],
                       *[["move", cx + 10 * i, cy + 4 * i] for i in range(1, 7)],
                       ["up", 0, 0]])

    def framed():
        c = next(c for c in state()["cards"] if c["id"] == cat["id"])
        done = c["state"] == "ready" and c["exact"]
        return c if done and c["framing"]["focus"] and c["version"] > cat["version"] else None

    moved = wait_until(framed, what="the hand framing")
    # Dragged right and down: the point at the heart's centre is now left of
    # and above where auto-framing put it.
    fx, fy = moved["framing"]["focus"]
    ax, ay = cat["shown"]["focus"]
    assert fx < ax and fy < ay, (moved["framing"], cat["shown"])
    ff.wait(f"document.querySelector(\".card[data-card='{cat['id']}'] .msg\")"
            ".textContent.includes('framed by hand')")

    # -- zoom out with the wheel: the card's handler takes it, the page does not
    # scroll (made taller than the window, as with many photos) ------------------
    ff.eval("document.body.style.minHeight = '300vh'")
    ff("wheel", x=cx, y=cy, dy=100)

    def zoomed():
        c = next(c for c in state()["cards"] if c["id"] == cat["id"])
        smaller = c["framing"]["zoom"] < moved["framing"]["zoom"]
        return c if c["state"] == "ready" and c["exact"] and smaller else None

    z = wait_until(zoomed, what="the wheel's zoom")
    assert z["framing"]["focus"] == moved["framing"]["focus"]
    assert ff.eval("window.scrollY") == 0
    ff.eval("document.body.style.minHeight = ''")
    wait_until(lambda: not any(c["state"] == "converting" for c in state()["cards"]),
               what="renders to finish")
    cat = next(c for c in state()["cards"] if c["id"] == cat["id"])
    preview = png(f"/api/photos/{cat['id']}/preview.png")
    assert not same(before, preview)
    # The card shows the exact render, as Firefox decoded it, with no drag offset left.
    card_img = f".card[data-card='{cat['id']}'] img.preview"
    ff.wait(f"(() => {{ const i = document.querySelector(\"{card_img}\"); "
            f"return i.complete && i.src.endsWith('v={cat['version']}') && "
            "!i.style.transform; })()")
    assert same(shown_image(ff, card_img), preview)

    # -- upload -----------------------------------------------------------------------
    ff("click", selector="#upload")
    wait_until(lambda: (state()["pendant"]["job"] or {}).get("state") == "done",
               timeout=120, what="the upload")
    ff.wait("document.querySelectorAll('#on-pendant li').length === 2 && "
            "document.querySelectorAll('.card[data-on-pendant=true]').length === 2")
    st = state()
    on = [p["id"] for p in st["pendant"]["photos"]]
    ids = {c["name"]: c["frame_id"] for c in st["cards"] if c["frame_id"]}
    assert sorted(on) == sorted(ids.values())

    # -- reorder: drag the second onto the first with the pointer. Firefox starts
    # the drag natively (dragstart with the id the page set, dragover accepted by
    # the target), but its WebDriver BiDi cannot finish a drag: the release never
    # becomes a drop (w3c/webdriver-bidi#487, open). So the drop that release
    # would make is dispatched, carrying the data the page's own dragstart set.
    ff.eval("""(() => {
        window.__drag = {};
        document.addEventListener('dragstart', (e) => {  // after the li's handler
            __drag.data = e.dataTransfer.getData('text/plain'); });
        document.addEventListener('dragover', (e) => {
            const li = e.target.closest('li');
            if (li) __drag.over = [li.dataset.id, e.defaultPrevented]; });
    })()""")
    a = ff("box", selector="#on-pendant li:nth-child(1)")
    b = ff("box", selector="#on-pendant li:nth-child(2)")
    bx, by = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
    ay = a["y"] + a["height"] / 2
    ff("mouse", steps=[["move", bx, by], ["down", 0, 0],
                       *[["move", bx, by + (ay - by) * i / 5] for i in range(1, 6)],
                       ["up", 0, 0]])
    ff.wait(f"__drag.data === '{on[1]}' && __drag.over && __drag.over[0] === '{on[0]}'",
            timeout=10)
    assert ff.eval("__drag") == {"data": on[1], "over": [on[0], True]}
    ff.eval(f"""(() => {{
        const dt = new DataTransfer();
        dt.setData('text/plain', __drag.data);
        document.querySelector("#on-pendant li[data-id='{on[0]}']").dispatchEvent(
            new DragEvent('drop', {{ dataTransfer: dt, bubbles: true, cancelable: true }}));
    }})()""")
    wait_until(lambda: [p["id"] for p in state()["pendant"]["photos"]] == on[::-1],
               what="the new order on the pendant")
    ff.wait(f"document.querySelector('#on-pendant li').dataset.id === '{on[1]}'")

    # -- show the hand-framed photo: the panel, and the page's mirror of it, equal
    # the card's preview ------------------------------------------------------------------
    ff("click", selector=f"#on-pendant li[data-id='{ids['chelsea.jpg']}'] button.show")
    wait_until(lambda: same(png("/api/sim/screen.png"), preview),
               what="the simulated panel to equal the card's preview")
    version = state()["sim"]["version"]
    ff.wait("(() => { const i = document.getElementById('sim-screen'); "
            f"return i.complete && i.naturalWidth === 240 && i.src.endsWith('v={version}'); }})()")
    assert same(shown_image(ff, "#sim-screen"), preview)
    ff("screenshot", path=str(tmp_path / "studio-firefox.png"))

    # -- remove one from the pendant --------------------------------------------------------
    gone = ids["astronaut.jpg"]
    ff("click", selector=f"#on-pendant li[data-id='{gone}'] button.remove")
    wait_until(lambda: [p["id"] for p in state()["pendant"]["photos"]] == [ids["chelsea.jpg"]],
               what="the removal")
    ff.wait("document.querySelectorAll('#on-pendant li').length === 1 && "
            "document.querySelectorAll('.card[data-on-pendant=true]').length === 1")
    assert ff.eval("document.getElementById('pendant-error').textContent") == ""

    # -- the broken file's card goes away with its button ---------------------------------
    ff("click", selector=".card[data-state=error] button.discard")
    ff.wait("document.querySelectorAll('.card').length === 2")

    # -- picking files and a folder (the file pickers' way in) -------------------------------
    folder = tmp_path / "album"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(good)
    (folder / "notes.txt").write_text("not a photo: a folder's other files are skipped")
    ff("upload", selector="#pick-files", paths=[str(SAMPLES / "astronaut.jpg")])
    ff.wait("document.querySelectorAll('.card').length === 3")
    # Firefox's BiDi will not hand a folder to a folder picker ("unsupported
    # operation ... Is directory"), so it gets the files the folder holds, as
    # the picker would deliver them: the page must still skip what is not a photo.
    ff("upload", selector="#pick-folder", paths=[str(p) for p in sorted(folder.iterdir())])
    ff.wait("document.querySelectorAll('.card').length === 4 && "
            "[...document.querySelectorAll('.card')].every(c => c.dataset.state === 'ready')")
    assert [c["name"] for c in state()["cards"]][2:] == ["astronaut.jpg", "cat.jpg"]

    # Nothing went wrong in the page that the checks above did not see.
    assert ff("errors") == []

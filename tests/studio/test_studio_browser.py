"""`pendant studio --sim` in a real headless Chromium (Debian's, through
Playwright; no browser download): drop photos and a broken file, frame one by
hand, change settings, upload, reorder, show one and check the simulated panel
shows exactly the card's preview, then remove one."""

from __future__ import annotations

import base64
import io
import json
import os
import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "host" / "pendant" / "samples"
CHROMIUM = "/usr/bin/chromium"
# STUDIO_SCREENSHOTS=docs/img regenerates the README's pictures from this run.
SHOTS = os.environ.get("STUDIO_SCREENSHOTS")

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="no /usr/bin/chromium (make test installs it)")


@pytest.fixture
def page(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
            viewport={"width": 1280, "height": 900})
        pg = ctx.pages[0] if ctx.pages else ctx.new_page()
        pg.set_default_timeout(60_000)
        yield pg
        ctx.close()


def wait_until(fn, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def drop(page, files: dict[str, bytes]) -> None:
    """A real drop event carrying File objects, as a desktop drag delivers it."""
    payload = {name: base64.b64encode(data).decode() for name, data in files.items()}
    page.evaluate("""(files) => {
        const dt = new DataTransfer();
        for (const [name, b64] of Object.entries(files)) {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            dt.items.add(new File([bytes], name, { type: 'image/jpeg' }));
        }
        const target = document.getElementById('drop');
        for (const type of ['dragenter', 'dragover', 'drop']) {
            target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true,
                                                       cancelable: true }));
        }
    }""", payload)


def test_studio_end_to_end(studio_sim, page, tmp_path):
    s = studio_sim
    headers = {"X-Studio-Token": s.token}

    def state():
        r = page.request.get(f"{s.base}/api/state", headers=headers)
        assert r.ok, r.text()
        return r.json()

    def png(path):
        r = page.request.get(f"{s.base}{path}", headers=headers)
        assert r.ok, r.text()
        return Image.open(io.BytesIO(r.body())).convert("RGB")

    failed = []  # requests the browser could not complete, for the messages below
    page.on("requestfailed", lambda req: failed.append(f"{req.method} {req.url}: {req.failure}"))
    page.goto(s.url)
    page.wait_for_selector("#status[data-connected=true]")
    assert "waveshare" in page.text_content("#conn")

    # -- settings, live: the pendant takes them at once ---------------------------
    for name, value in (("brightness", "100"), ("interval_s", "600"),
                        ("dim_after_s", "0"), ("sleep_after_s", "0")):
        page.fill(f"#settings [name={name}]", value)
        page.dispatch_event(f"#settings [name={name}]", "change")
        wait_until(lambda n=name, v=value: str(state()["pendant"]["settings"].get(n)) == v,
                   what=f"{name}={value} on the pendant")
    assert page.text_content("#settings-error") == ""

    # -- drop two photos and a broken file ----------------------------------------
    good = (SAMPLES / "chelsea.jpg").read_bytes()
    drop(page, {"chelsea.jpg": good,
                "astronaut.jpg": (SAMPLES / "astronaut.jpg").read_bytes(),
                "broken.jpg": good[:300]})
    page.wait_for_function("() => document.querySelectorAll('.card').length === 3")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.card')].every(c => ['ready','error']"
        ".includes(c.dataset.state))")
    cards = page.query_selector_all(".card")
    states = {c.query_selector(".name").text_content(): c.get_attribute("data-state")
              for c in cards}
    assert states == {"chelsea.jpg": "ready", "astronaut.jpg": "ready",
                      "broken.jpg": "error"}, ([c.text_content() for c in cards], failed)
    broken = page.query_selector(".card[data-state=error] .msg").text_content()
    assert broken.startswith("broken.jpg: "), broken
    assert "pendant-studio-" not in broken  # no host path leaks into the page
    ready = state()["cards"]
    assert [c["name"] for c in ready if c["state"] == "ready"] == ["chelsea.jpg",
                                                                   "astronaut.jpg"]
    # Before anything is sent: how many fit.
    page.wait_for_function(
        "() => document.getElementById('fit').textContent.startsWith('all 2 fit; room for about')")

    # -- move one subject by hand ---------------------------------------------------
    cat = next(c for c in ready if c["name"] == "chelsea.jpg")
    before = png(f"/api/photos/{cat['id']}/preview.png")
    frame = page.query_selector(f".card[data-card='{cat['id']}'] .frame")
    box = frame.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    for i in range(1, 7):
        page.mouse.move(cx + 10 * i, cy + 4 * i)
    page.mouse.up()

    def framed():
        c = next(c for c in state()["cards"] if c["id"] == cat["id"])
        done = c["state"] == "ready" and c["exact"]  # the exact render after the quick ones
        return c if done and c["framing"]["focus"] and c["version"] > cat["version"] else None

    moved = wait_until(framed, what="the hand framing")
    # The picture was dragged right and down: the point at the heart's centre
    # is now left of and above where auto-framing put it.
    fx, fy = moved["framing"]["focus"]
    ax, ay = cat["shown"]["focus"]
    assert fx < ax and fy < ay, (moved["framing"], cat["shown"])
    page.wait_for_function(
        f"() => document.querySelector(\".card[data-card='{cat['id']}'] .msg\")"
        ".textContent.includes('framed by hand')")
    wait_until(lambda: not any(c["state"] == "converting" for c in state()["cards"]),
               what="renders to finish")
    cat = next(c for c in state()["cards"] if c["id"] == cat["id"])
    after = png(f"/api/photos/{cat['id']}/preview.png")
    assert ImageChops.difference(before, after).getbbox() is not None

    # -- upload ----------------------------------------------------------------------
    page.click("#upload")
    wait_until(lambda: (state()["pendant"]["job"] or {}).get("state") == "done",
               timeout=120, what="the upload")
    page.wait_for_function("() => document.querySelectorAll('#on-pendant li').length === 2")
    page.wait_for_function(
        "() => document.querySelectorAll('.card[data-on-pendant=true]').length === 2")
    st = state()
    on = [p["id"] for p in st["pendant"]["photos"]]
    ids = {c["name"]: c["frame_id"] for c in st["cards"] if c["frame_id"]}
    assert sorted(on) == sorted(ids.values())
    assert all(p["known"] for p in st["pendant"]["photos"])  # thumbnails cached

    # -- reorder by dragging ------------------------------------------------------------
    items = page.locator("#on-pendant li")
    items.nth(1).drag_to(items.nth(0))
    wait_until(lambda: [p["id"] for p in state()["pendant"]["photos"]] == on[::-1],
               what="the new order on the pendant")
    page.wait_for_function(
        f"() => document.querySelector('#on-pendant li').dataset.id === '{on[1]}'")

    # -- show the hand-framed photo: the panel shows exactly its preview ------------------
    page.click(f"#on-pendant li[data-id='{ids['chelsea.jpg']}'] button.show")
    preview = png(f"/api/photos/{cat['id']}/preview.png")

    def screen_is_preview():
        return ImageChops.difference(png("/api/sim/screen.png"), preview).getbbox() is None

    wait_until(screen_is_preview, what="the simulated panel to equal the card's preview")
    page.wait_for_function(  # and the page's mirror of the panel follows
        "() => document.getElementById('sim-screen').complete && "
        "document.getElementById('sim-screen').naturalWidth === 240")
    shot = page.screenshot(full_page=True)
    (tmp_path / "studio.png").write_bytes(shot)
    if SHOTS:
        Image.open(io.BytesIO(shot)).save(Path(SHOTS) / "studio.png", optimize=True)

    # -- remove one from the pendant -----------------------------------------------------
    gone = ids["astronaut.jpg"]
    page.click(f"#on-pendant li[data-id='{gone}'] button.remove")
    wait_until(lambda: [p["id"] for p in state()["pendant"]["photos"]]
               == [ids["chelsea.jpg"]], what="the removal")
    page.wait_for_function("() => document.querySelectorAll('#on-pendant li').length === 1")
    page.wait_for_function(
        "() => document.querySelectorAll('.card[data-on-pendant=true]').length === 1")
    assert page.text_content("#pendant-error") == ""
    assert json.loads(json.dumps(state()["pendant"]["settings"]))["brightness"] == 100

    # -- the broken file's card goes away with its button ----------------------------------
    page.click(".card[data-state=error] button.discard")
    page.wait_for_function("() => document.querySelectorAll('.card').length === 2")
    assert [c["name"] for c in state()["cards"]] == ["chelsea.jpg", "astronaut.jpg"]

    # -- picking files and a folder (the other ways in) -------------------------------------
    folder = tmp_path / "album"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(good)
    (folder / "notes.txt").write_text("not a photo: a folder's other files are skipped")
    page.set_input_files("#pick-files", str(SAMPLES / "astronaut.jpg"))
    page.set_input_files("#pick-folder", str(folder))
    page.wait_for_function("() => document.querySelectorAll('.card').length === 4")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.card')].every(c => c.dataset.state === 'ready')")
    assert [c["name"] for c in state()["cards"]][2:] in (["astronaut.jpg", "cat.jpg"],
                                                        ["cat.jpg", "astronaut.jpg"])

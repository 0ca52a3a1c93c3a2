"""`pendant studio` over HTTP, no browser: who may talk to it, what it accepts,
and the pure parts (room left, names, framing checks)."""

from __future__ import annotations

import http.client
import json
import socket
from pathlib import Path

import pytest

pytest.importorskip("starlette")

from pendant.studio import photos, server  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[2] / "host" / "pendant" / "samples"


def request(r, method, path, body=None, headers=None, host=None, token=True):
    """One request with exactly the headers given (http.client adds only Host,
    Accept-Encoding and Content-Length)."""
    h, port = r.address.split(":")
    conn = http.client.HTTPConnection(h, int(port), timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host or r.address)
    hdrs = dict(headers or {})
    if token:
        hdrs.setdefault("X-Studio-Token", r.token)
    for k, v in hdrs.items():
        conn.putheader(k, v)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def cards(r):
    status, data = request(r, "GET", "/api/state")
    assert status == 200
    return json.loads(data)["cards"]


def test_the_first_line_is_the_address_and_it_opens_the_page(studio_nodev):
    r = studio_nodev
    assert r.lines[0].startswith("studio: http://127.0.0.1:")
    status, page = request(r, "GET", f"/?token={r.token}", token=False)
    assert status == 200
    assert r.token.encode() in page and b"app.js" in page


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1",
                                  "127.0.0.1:1", "0.0.0.0:{port}", "[::1]:{port}"])
def test_a_foreign_host_is_refused_even_with_the_token(studio_nodev, host):
    r = studio_nodev
    port = r.address.split(":")[1]
    status, data = request(r, "GET", f"/?token={r.token}", host=host.format(port=port))
    assert status == 403 and b"Host" in data
    status, _ = request(r, "GET", "/api/state", host=host.format(port=port))
    assert status == 403


def test_localhost_is_the_studio_too(studio_nodev):
    r = studio_nodev
    port = r.address.split(":")[1]
    assert request(r, "GET", "/api/state", host=f"localhost:{port}")[0] == 200


def test_a_post_from_another_site_is_refused(studio_nodev):
    r = studio_nodev
    before = len(cards(r))
    jpg = (SAMPLES / "chelsea.jpg").read_bytes()
    for headers in ({"Origin": "http://evil.example"},
                    {"Origin": "null"},
                    {"Origin": f"http://{r.address}.evil.example"},
                    {"Sec-Fetch-Site": "cross-site"}):
        status, _ = request(r, "POST", "/api/photos", jpg, {"X-Filename": "x.jpg", **headers})
        assert status == 403, headers
    assert len(cards(r)) == before
    # The same request from the studio's own page goes through.
    status, data = request(r, "POST", "/api/photos", jpg,
                           {"X-Filename": "x.jpg", "Origin": f"http://{r.address}",
                            "Sec-Fetch-Site": "same-origin"})
    assert status == 200, data
    assert json.loads(data)["state"] == "ready"
    assert len(cards(r)) == before + 1


@pytest.mark.parametrize("path", ["/", "/api/state", "/api/sim/screen.png",
                                  "/api/thumbs/0123456789abcdef.png"])
def test_no_token_or_a_wrong_one_is_refused(studio_nodev, path):
    r = studio_nodev
    assert request(r, "GET", path, token=False)[0] == 403
    assert request(r, "GET", path, headers={"X-Studio-Token": "x" + r.token})[0] == 403
    assert request(r, "GET", path + "?t=" + r.token[:-1], token=False)[0] == 403


def test_mutations_need_the_token(studio_nodev):
    r = studio_nodev
    for method, path, body in (("POST", "/api/photos", b"GIF89a"),
                               ("POST", "/api/pendant/remove", b'{"id": "ab"}'),
                               ("POST", "/api/pendant/settings", b'{"brightness": 5}'),
                               ("POST", "/api/pendant/install", b"")):
        assert request(r, method, path, body, token=False)[0] == 403, path


def test_only_loopback_listens(studio_nodev):
    r = studio_nodev
    port = int(r.address.split(":")[1])
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: it only picks an interface
        own = probe.getsockname()[0]
    except OSError:
        own = None
    finally:
        probe.close()
    if not own or own.startswith("127."):
        pytest.skip("this machine has no address but loopback")
    with pytest.raises(OSError):
        socket.create_connection((own, port), timeout=5).close()


def test_a_photo_that_is_not_one_gets_a_message_on_its_card(studio_nodev):
    r = studio_nodev
    status, data = request(r, "POST", "/api/photos", b"just some notes\n",
                           {"X-Filename": "../../etc/notes.txt"})
    assert status == 200
    card = json.loads(data)
    assert card["name"] == "notes.txt"  # a label, never a path
    assert card["state"] == "error"
    assert card["error"].startswith("notes.txt: ") and "\n" not in card["error"]
    assert "pendant-studio-" not in card["error"]


def test_an_upload_over_the_limit_is_refused_before_it_is_read(studio_nodev):
    r = studio_nodev
    h, port = r.address.split(":")
    conn = http.client.HTTPConnection(h, int(port), timeout=30)
    conn.putrequest("POST", "/api/photos", skip_host=True)
    conn.putheader("Host", r.address)
    conn.putheader("X-Studio-Token", r.token)
    conn.putheader("Content-Length", str(photos.MAX_PHOTO_BYTES + 1))
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 413
    assert b"larger than" in resp.read()
    conn.close()


def test_framing_is_checked(studio_nodev):
    r = studio_nodev
    status, data = request(r, "POST", "/api/photos", (SAMPLES / "chelsea.jpg").read_bytes(),
                           {"X-Filename": "cat.jpg"})
    cid = json.loads(data)["id"]
    for bad in ({"focus": [2, 0.5]}, {"zoom": 0}, {"mask": "star"}, {"focus": "x"},
                {"rotate": "nan"}):
        status, data = request(r, "PUT", f"/api/photos/{cid}/framing", json.dumps(bad).encode())
        assert status == 400, bad
        assert json.loads(data)["error"].startswith("bad ")
    good = {"focus": [0.3, 0.6], "zoom": 1.5, "rotate": 90, "mask": "circle"}
    status, data = request(r, "PUT", f"/api/photos/{cid}/framing", json.dumps(good).encode())
    assert status == 200
    card = json.loads(data)
    assert card["framing"] == {"focus": [0.3, 0.6], "zoom": 1.5, "rotate": 90.0,
                               "mask": "circle"}
    # The same photo dropped again (this run or a later one) keeps its framing.
    status, data = request(r, "POST", "/api/photos", (SAMPLES / "chelsea.jpg").read_bytes(),
                           {"X-Filename": "again.jpg"})
    assert json.loads(data)["framing"] == card["framing"]


def test_a_quick_render_while_dragging_is_not_uploadable_until_the_exact_one(studio_nodev):
    r = studio_nodev
    status, data = request(r, "POST", "/api/photos", (SAMPLES / "chelsea.jpg").read_bytes(),
                           {"X-Filename": "cat.jpg"})
    cid = json.loads(data)["id"]
    framing = json.dumps({"focus": [0.35, 0.55], "zoom": 1.4, "rotate": 0,
                          "mask": "heart"}).encode()
    status, data = request(r, "PUT", f"/api/photos/{cid}/framing?draft=1", framing)
    card = json.loads(data)
    assert (card["state"], card["exact"], card["frame_id"]) == ("draft", False, None)
    draft_png = request(r, "GET", f"/api/photos/{cid}/preview.png")[1]
    status, data = request(r, "POST", "/api/upload", json.dumps({"cards": [cid]}).encode())
    assert status == 400 and b"no converted photos" in data
    status, data = request(r, "PUT", f"/api/photos/{cid}/framing", framing)
    card = json.loads(data)
    assert card["state"] == "ready" and card["exact"] and card["frame_id"]
    exact_png = request(r, "GET", f"/api/photos/{cid}/preview.png")[1]
    # Within the budget, quality "auto" kept the frame lossless: the quick render
    # showed exactly what it decodes to.
    from io import BytesIO

    from PIL import Image, ImageChops

    from pendant import frames
    assert card["bytes"] <= frames.AUTO_BUDGET
    a, b = (Image.open(BytesIO(x)).convert("RGB") for x in (draft_png, exact_png))
    assert ImageChops.difference(a, b).getbbox() is None


def test_paths_cannot_reach_outside(studio_nodev):
    r = studio_nodev
    for path in ("/static/../server.py", "/static/%2e%2e/server.py",
                 "/api/thumbs/..%2f..%2fframing.png", "/api/photos/..%2f..%2fetc/preview.png"):
        status, data = request(r, "GET", path)
        assert status in (404, 403), (path, status)
        assert b"import" not in data


def test_with_no_pendant_the_page_says_so_and_pendant_actions_fail_cleanly(studio_nodev):
    r = studio_nodev
    state = json.loads(request(r, "GET", "/api/state")[1])
    assert state["pendant"]["connected"] is False
    assert "no pendant at" in state["pendant"]["message"]
    status, data = request(r, "POST", "/api/pendant/show", b'{"id": "abcd"}')
    assert status == 503
    assert json.loads(data)["error"].startswith("no pendant connected")


# -- the pure parts -------------------------------------------------------------------


def test_fit_report_counts_whole_blocks_and_a_block_per_file():
    # 3 photos of 5000 bytes cost 2+1 blocks each: 9 blocks of 4096.
    assert server.fit_report(9 * 4096, [5000, 5000, 5000], 5000)["fits"] == 3
    r = server.fit_report(9 * 4096 - 1, [5000, 5000, 5000], 5000)
    assert r["fits"] == 2 and r["more"] == 0
    r = server.fit_report(20 * 4096, [5000], 9000)  # 17 blocks left, 4 per typical photo
    assert (r["fits"], r["more"]) == (1, 4)
    assert server.fit_report(None, [1], 1)["fits"] is None


def test_safe_name_keeps_only_a_label():
    assert photos.safe_name("/home/me/Pictures/cat.jpg") == "cat.jpg"
    assert photos.safe_name("C:\\Users\\me\\dog.png") == "dog.png"
    assert photos.safe_name("../../") == "photo"
    assert photos.safe_name("a\x00b\nc.jpg") == "abc.jpg"


def test_framing_is_remembered_per_photo(tmp_path):
    cache = photos.Cache(tmp_path)
    f = photos.Framing(focus=(0.25, 0.75), zoom=2.0, rotate=90.0, mask="circle")
    cache.remember("abc", f)
    assert photos.Cache(tmp_path).framing("abc") == f
    assert photos.Cache(tmp_path).framing("other") is None


# -- against the simulated pendant ------------------------------------------------------


def wait_state(r, pred, timeout=120.0, what="state"):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = json.loads(request(r, "GET", "/api/state")[1])
        if pred(state):
            return state
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {state['pendant']}")


def test_sim_cable_and_one_click_install(studio_sim):
    r = studio_sim
    st = wait_state(r, lambda s: s["pendant"]["connected"], what="the simulated pendant")
    assert st["sim"]["plugged"] is True
    # A photo uploaded from elsewhere (the CLI's client): listed, with no picture.
    from pendant import frames
    from pendant.link import Busy, Client
    from pendant.photo import render

    ff = frames.from_render(render(str(SAMPLES / "chelsea.jpg")))
    for _ in range(50):
        try:
            with Client(st["pendant"]["port"]) as c:
                c.put(ff.data, ff.id)
            break
        except Busy:  # the studio had the port open that moment
            import time
            time.sleep(0.1)
    request(r, "POST", "/api/pendant/settings", b'{"brightness": 80}')  # reads the list again
    st = wait_state(r, lambda s: s["pendant"]["photos"], what="the photo from elsewhere")
    assert st["pendant"]["photos"] == [{"id": ff.id, "size": len(ff), "known": False,
                                        "name": None}]
    # Pulling the simulated cable: the page is told, pendant actions fail in one line.
    assert request(r, "POST", "/api/sim/cable", b'{"plugged": false}')[0] == 200
    st = wait_state(r, lambda s: not s["pendant"]["connected"], what="the unplug")
    assert st["pendant"]["message"].startswith("no pendant at")
    assert st["fit"]["free"] is None
    status, data = request(r, "POST", "/api/pendant/settings", b'{"brightness": 50}')
    assert status == 503 and json.loads(data)["error"].startswith("no pendant connected")
    assert request(r, "POST", "/api/sim/cable", b'{"plugged": true}')[0] == 200
    wait_state(r, lambda s: s["pendant"]["connected"], what="the pendant back")
    # The firmware install, as `pendant install` does it, one request away.
    assert request(r, "POST", "/api/pendant/install", b"")[0] == 200
    st = wait_state(r, lambda s: (s["pendant"]["job"] or {}).get("state") in ("done", "failed"),
                    timeout=240, what="the install")
    job = st["pendant"]["job"]
    assert job["state"] == "done", job
    assert any(line.startswith("pendant runs firmware ") for line in job["log"]), job["log"]
    st = wait_state(r, lambda s: s["pendant"]["connected"], what="the pendant after install")
    assert st["pendant"]["info"]["fw"] == st["firmware"]


def test_sim_studio_stops_its_simulator_on_sigterm(tmp_path):
    """Regression: uvicorn re-raises SIGTERM after its shutdown; the simulated
    pendant's interpreter must not outlive the studio."""
    import os
    import time

    from conftest import start_studio, stop_studio

    r = start_studio(tmp_path, "--sim", "--flash", str(tmp_path / "flash"))
    try:
        children_file = f"/proc/{r.proc.pid}/task/{r.proc.pid}/children"
        kids = [int(k) for k in open(children_file).read().split()]
        assert kids, "the studio runs the simulator as a child process"
    finally:
        stop_studio(r)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{k}") for k in kids):
        time.sleep(0.1)
    left = [k for k in kids if os.path.exists(f"/proc/{k}")]
    for k in left:  # not to leave them running when this fails
        os.kill(k, 9)
    assert not left, "the simulated pendant outlived the studio"
    assert r.proc.returncode == 0


def test_a_converter_crash_costs_one_photo_not_the_studio():
    import os

    conv = photos.Converter()
    try:
        with pytest.raises(photos.PhotoError, match="^bad.jpg: the converter crashed"):
            conv.call("bad.jpg", os._exit, 3)  # a worker dying as a segfault would
        out = conv.run(str(SAMPLES / "chelsea.jpg"), photos.Framing(), "gc9a01", "auto", False)
        assert out["frame"] and out["png"].startswith(b"\x89PNG")
    finally:
        conv.close()


def test_photos_dropped_at_once_all_convert(studio_nodev):
    """Several conversions at once (a dropped folder): each gets its card, the
    server stays up (OpenCV in threads crashed it)."""
    from concurrent.futures import ThreadPoolExecutor

    r = studio_nodev
    names = ["chelsea.jpg", "astronaut.jpg"] * 3
    with ThreadPoolExecutor(len(names)) as ex:
        results = list(ex.map(lambda n: request(r, "POST", "/api/photos",
                                                (SAMPLES / n).read_bytes(),
                                                {"X-Filename": n}), names))
    assert [s for s, _ in results] == [200] * len(names)
    assert [json.loads(d)["state"] for _, d in results] == ["ready"] * len(names)
    assert r.proc.poll() is None


def test_a_card_shows_what_pendant_preview_writes(studio_nodev, tmp_path):
    """The same pipeline as the CLI, pixel for pixel: auto-framed (faces
    included) and framed by hand."""
    import subprocess
    import sys
    from io import BytesIO

    from PIL import Image, ImageChops

    r = studio_nodev
    pendant = str(Path(sys.executable).parent / "pendant")
    for name, framing, flags in (
            ("astronaut.jpg", None, []),
            ("chelsea.jpg", {"focus": [0.3, 0.6], "zoom": 1.5, "rotate": 90, "mask": "circle"},
             ["--focus", "0.3,0.6", "--zoom", "1.5", "--rotate", "90", "--mask", "circle"])):
        status, data = request(r, "POST", "/api/photos", (SAMPLES / name).read_bytes(),
                               {"X-Filename": name})
        cid = json.loads(data)["id"]
        if framing:
            status, data = request(r, "PUT", f"/api/photos/{cid}/framing",
                                   json.dumps(framing).encode())
            assert status == 200
        card = Image.open(BytesIO(request(r, "GET", f"/api/photos/{cid}/preview.png")[1]))
        out = tmp_path / f"{name}.png"
        subprocess.run([pendant, "preview", str(SAMPLES / name), "-o", str(out), *flags],
                       check=True, capture_output=True, timeout=120)
        cli = Image.open(out).convert("RGB")
        assert ImageChops.difference(card.convert("RGB"), cli).getbbox() is None, name


def test_without_the_extra_one_line_says_how_to_get_it():
    import subprocess
    import sys

    code = ("import sys; sys.modules['uvicorn'] = None; from pendant.cli import main; "
            "main(['studio', '--no-browser'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert proc.stderr == ("error: this needs the 'studio' extra: "
                           "pip install 'heart-pendant[studio]'\n")


def test_a_port_in_use_is_one_line(studio_nodev):
    import subprocess
    import sys

    port = studio_nodev.address.split(":")[1]
    proc = subprocess.run([str(Path(sys.executable).parent / "pendant"), "studio",
                           "--no-browser", "--listen", port], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert proc.stderr.count("\n") == 1 and proc.stdout == ""

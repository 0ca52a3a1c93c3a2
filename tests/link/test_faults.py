"""Fault tests on the simulated pendant: the real firmware on micropython with
a littlefs flash image, the real host Client, and a transport that cuts,
corrupts or drops bytes at chosen offsets of what the host writes.

After every fault: the store holds exactly the photos whose put() returned,
each intact (read back from the flash image, SHA-256 == id), nothing half
done is visible, and a retry completes the rest, resuming from the .part.
"""

from __future__ import annotations

import pytest
from linkkit import FaultySerial, check_store, frame_id, make_frame

from pendant.link import Client, LinkError

FRAMES = [make_frame(seed) for seed in range(3)]  # 20,192 bytes each
IDS = [frame_id(f) for f in FRAMES]


def upload_all(port, wrap=None) -> tuple[dict[str, bytes], Client, dict[str, bytes]]:
    """put() every frame in one session (as `pendant upload a b c` does);
    returns the frames whose put() returned, the client, and the one in
    flight when the link failed (its COMMIT may have landed)."""
    done: dict[str, bytes] = {}
    inflight: dict[str, bytes] = {}
    c = Client(port, wrap=wrap)
    try:
        c.open()
        for data, pid in zip(FRAMES, IDS, strict=True):
            inflight = {pid: data}
            c.put(data, pid)
            done[pid] = data
        inflight = {}
    except LinkError:
        pass
    finally:
        c.close()
    return done, c, inflight


def retry_all(port) -> dict[str, tuple[int, int]]:
    """Upload everything again; photo id -> (resumed at, bytes sent for it)."""
    out = {}
    with Client(port) as c:
        for data, pid in zip(FRAMES, IDS, strict=True):
            before = c.sent_bytes
            result = c.put(data, pid)
            out[pid] = (c.resumed_at if result == "uploaded" else -1, c.sent_bytes - before)
    return out


def check_retry(sim, done, inflight) -> None:
    with Client(sim.port) as c:
        on_pendant = [p.id for p in c.list()]
    done = {**done, **{i: d for i, d in inflight.items() if i in on_pendant}}
    sent = retry_all(sim.port)
    for pid, data in zip(IDS, FRAMES, strict=True):
        resumed, nbytes = sent[pid]
        if pid in done:
            assert resumed == -1, "a completed photo must be skipped by hash"
        elif resumed > 0:
            # Resumed from the .part: only the rest crosses the wire (+ framing).
            assert nbytes < len(data) - resumed + 1024
    check_store(sim, dict(zip(IDS, FRAMES, strict=True)))
    with Client(sim.port) as c:
        assert [p.id for p in c.list()] == list(done) + [i for i in IDS if i not in done]


# Offsets into everything the host writes: inside OPEN/HELLO, the first PUT,
# packet bodies, packet boundaries, a window in flight, each COMMIT, the next photo.
CUTS = [5, 30, 70, 4_200, 9_000, 16_500, 20_480, 20_700, 33_000, 49_000, 61_000]


@pytest.mark.parametrize("cut_at", CUTS)
def test_link_cut_mid_upload(pendant, cut_at):
    done, c, inflight = upload_all(pendant.port, lambda s: FaultySerial(s, cut_at=cut_at))
    assert c.sent_bytes <= cut_at
    check_store(pendant, done, inflight)
    check_retry(pendant, done, inflight)


def test_cuts_resume_from_the_part_file(pendant):
    """A cut after some DATA was acknowledged resumes there, not at 0."""
    upload_all(pendant.port, lambda s: FaultySerial(s, cut_at=20_192 + 9_000))
    sent = retry_all(pendant.port)
    resumed, nbytes = sent[IDS[1]]
    assert resumed >= 4096, sent
    assert nbytes < len(FRAMES[1]) - resumed + 1024


@pytest.mark.parametrize("kill_at", [3_000, 12_000, 20_300, 27_000])
def test_pendant_killed_mid_write_and_restarted(pendant, kill_at):
    def kill():
        pendant.proc.kill()  # SIGKILL: no clean-up, like a power cut
        pendant.proc.wait()

    done, _, inflight = upload_all(
        pendant.port, lambda s: FaultySerial(s, cut_at=kill_at, on_cut=kill))
    pendant.stop()
    # The flash as the power cut left it, read while nothing runs: reading the
    # image while a rebooted pendant writes to it raced (a mount that failed).
    check_store(pendant, done, inflight)
    pendant.start()  # boots from the same littlefs image
    check_retry(pendant, done, inflight)


@pytest.mark.parametrize("seed", range(3))
def test_corrupted_bytes_are_retried(pendant, seed):
    import random

    rnd = random.Random(seed)
    # Spread over the DATA packets of all three photos (after OPEN + HELLO).
    corrupt = {rnd.randrange(100, 60_000) for _ in range(6)}
    done, _, _ = upload_all(pendant.port, lambda s: FaultySerial(s, corrupt=corrupt))
    assert sorted(done) == sorted(IDS), "bounded retries get past a few bad bytes"
    check_store(pendant, done)


@pytest.mark.parametrize("seed", range(3))
def test_dropped_bytes_are_retried(pendant, seed):
    import random

    rnd = random.Random(100 + seed)
    drop = {rnd.randrange(100, 60_000) for _ in range(4)}
    done, _, _ = upload_all(pendant.port, lambda s: FaultySerial(s, drop=drop))
    assert sorted(done) == sorted(IDS)
    check_store(pendant, done)


def test_efficiency_of_a_clean_upload(pendant):
    """Payload / bytes sent for a clean upload (the benchmark's figure)."""
    c = Client(pendant.port)
    c.open()
    start = c.sent_bytes
    for data, pid in zip(FRAMES, IDS, strict=True):
        c.put(data, pid)
    sent = c.sent_bytes - start
    c.close()
    assert sum(map(len, FRAMES)) / sent >= 0.95

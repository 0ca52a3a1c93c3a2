"""Every bad input becomes one PhotoError naming the file, never another exception."""

from __future__ import annotations

import struct
import zlib

import pytest
from PIL import Image

from pendant.photo import PhotoError, RenderOptions, render


def check(path, reason):
    with pytest.raises(PhotoError) as info:
        render(path, RenderOptions())
    message = str(info.value)
    assert message.startswith(str(path) + ": ")
    assert "\n" not in message
    assert reason in message.lower()
    return message


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels: the bytes of a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data)
        )
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + \
        chunk(b"IEND", b"")


def test_missing_file(tmp_path):
    check(tmp_path / "nope.jpg", "no such file")


def test_directory(tmp_path):
    check(tmp_path, "directory")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    check(path, "empty")


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: milk, eggs\n")
    check(path, "not an image")


def test_truncated_jpeg(tmp_path):
    whole = tmp_path / "whole.jpg"
    Image.effect_noise((400, 300), 60).convert("RGB").save(whole, quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    check(path, "truncated")


def test_truncated_png(tmp_path):
    whole = tmp_path / "whole.png"
    Image.effect_noise((300, 300), 60).convert("RGB").save(whole)
    path = tmp_path / "cut.png"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    check(path, "truncated")


def test_decompression_bomb_header(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header(100_000, 100_000))  # 10 gigapixels in 60 bytes
    check(path, "decompression bomb")


def test_bomb_guard_for_formats_decoded_in_full(tmp_path, monkeypatch):
    # Between Pillow's warning and error limits only JPEGs (decoded at 1/8
    # scale) are accepted; lower the limit so a small PNG plays a big one.
    path = tmp_path / "big.png"
    Image.new("RGB", (100, 100)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)
    check(path, "decompression bomb")


def test_big_jpeg_under_twice_the_limit_is_fine(tmp_path, monkeypatch):
    path = tmp_path / "big.jpg"
    Image.new("RGB", (100, 100), (200, 10, 10)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 6000)
    assert len(render(path, RenderOptions()).rgb565) == 240 * 240 * 2


def test_unsupported_format(tmp_path):
    path = tmp_path / "drawing.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    check(path, "not an image")


def test_garbage_after_a_valid_header(tmp_path):
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 64), (1, 2, 3)).save(good)
    data = bytearray(good.read_bytes())
    data[40:60] = b"\xff" * 20  # corrupt the compressed data
    path = tmp_path / "bad.png"
    path.write_bytes(bytes(data))
    with pytest.raises(PhotoError) as info:
        render(path, RenderOptions())
    assert str(info.value).startswith(str(path) + ": ")

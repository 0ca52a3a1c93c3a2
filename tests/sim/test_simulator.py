"""The whole simulated pendant: serial link, flash, panel, screen PNG."""

import serial
from PIL import Image

ALL_BYTES = bytes(range(256))

# A stand-in firmware: Waveshare wiring, a minimal init, a red left half and a
# blue right half, then it waits so the test can look.
DRAW = """
    import sys, time
    from machine import Pin, SPI, PWM
    spi = SPI(1, baudrate=62_500_000, sck=Pin(10), mosi=Pin(11), miso=None)
    dc = Pin(8, Pin.OUT)
    cs = Pin(9, Pin.OUT, value=1)
    rst = Pin(12, Pin.OUT, value=1)
    bl = PWM(Pin(25), freq=1000, duty_u16=0)

    def cmd(c, data=b""):
        cs(0)
        dc(0); spi.write(bytes((c,)))
        if data:
            dc(1); spi.write(data)
        cs(1)

    rst(0); time.sleep_ms(10); rst(1)
    cmd(0x11); time.sleep_ms(120)
    cmd(0x3A, b"\\x55"); cmd(0x36, b"\\x48"); cmd(0x21); cmd(0x29)
    cmd(0x2A, bytes((0, 0, 0, 239))); cmd(0x2B, bytes((0, 0, 0, 239)))
    row = b"\\xf8\\x00" * 120 + b"\\x00\\x1f" * 120
    buf = row * 8
    cs(0); dc(0); spi.write(b"\\x2c"); dc(1)
    for _ in range(30):
        spi.write(buf)
    cs(1)
    bl.duty_u16(65535)
    sys.stdout.write("drawn\\n")
    sys.stdin.buffer.read(1)
"""


def test_pty_carries_every_byte_value_both_ways(sim_with, read_serial):
    sim = sim_with("""
        import sys
        data = sys.stdin.buffer.read(256)
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.write(bytes(range(256)))
    """)
    with serial.Serial(sim.port, timeout=0.05) as port:
        port.write(ALL_BYTES)
        got = read_serial(sim, until=b">>> ", port=port, timeout=8)
    # then main.py has ended and the REPL's banner follows, as on rp2
    assert got.split(b"MicroPython v")[0] == ALL_BYTES + ALL_BYTES, sim.console_log


def test_flash_persists_across_runs(run_main, tmp_path):
    flash = tmp_path / "flash"
    _, out = run_main("""
        import os
        with open("/note.txt", "w") as f:
            f.write("kept")
        print(os.statvfs("/")[2])
    """, flash=flash)
    assert out.split() == ["352"]
    assert (flash / "flash.img").stat().st_size == 352 * 4096
    sim, out = run_main("""
        import os
        print(open("/note.txt").read(), os.stat("/main.py")[6])
    """, flash=flash)
    # the note survived, and install replaced main.py with the new one
    assert out.split() == ["kept", str((sim.firmware_dir / "main.py").stat().st_size)]


def test_install_copies_firmware_but_not_init(run_main):
    sim, out = run_main("""
        import os
        print(sorted(os.listdir("/")))
    """)
    (sim.firmware_dir / "__init__.py").write_text("")
    (sim.firmware_dir / "extra.py").write_text("X = 1\n")
    sim2, out = run_main("""
        import os, extra
        print(sorted(os.listdir("/")), extra.X)
    """, flash=sim.flash_dir)
    # modules go on compiled, as `pendant install` puts them; main.py stays source;
    # the simulated board is stored in the settings, like `pendant install --board`
    assert out.strip() == "['extra.mpy', 'main.py', 'settings.json'] 1", sim2.console_log


def test_uncaught_exception_goes_to_console_log(run_main):
    sim, _ = run_main("""
        raise ValueError("boom")
    """)
    assert "ValueError: boom" in sim.console_log
    assert 'File "/main.py"' in sim.console_log


def test_drawing_shows_on_screen_png(sim_with, read_serial, tmp_path):
    png = tmp_path / "screen.png"
    sim = sim_with(DRAW, screen=png)
    assert b"drawn" in read_serial(sim, until=b"drawn"), sim.console_log
    assert sim.wait_for(lambda: sim.panel.frames >= 1 and sim.panel.backlight == 1.0, 5)
    img = sim.screenshot()
    # MX|BGR on the mirrored GC9A01 glass: the picture shows the right way round.
    assert img.getpixel((40, 120)) == (255, 0, 0)
    assert img.getpixel((200, 120)) == (0, 0, 255)
    assert img.getpixel((2, 2)) == (0, 0, 0)  # outside the round glass
    assert sim.spi_bytes >= 115_200
    sim.stop()
    assert Image.open(png).convert("RGB").getpixel((40, 120)) == (255, 0, 0)


def test_waits_for_screen_change(sim_with, read_serial):
    sim = sim_with(DRAW)
    assert sim.wait_screen_change(8)
    assert sim.panel.version > 0

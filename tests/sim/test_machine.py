"""The simulated machine module under the real micropython binary."""

import errno

import serial

from pendant.sim import bus


def test_spi_bytes_reach_the_panel_with_dc(run_main):
    sim, out = run_main("""
        from machine import Pin, SPI
        spi = SPI(1, baudrate=62_500_000, sck=Pin(10), mosi=Pin(11), miso=None)
        dc = Pin(8, Pin.OUT)
        cs = Pin(9, Pin.OUT, value=1)
        cs(0)
        dc(0); spi.write(b"\\x2a")
        dc(1); spi.write(bytes((0, 5, 0, 9)))
        dc(0); spi.write(b"\\x36")
        dc(1); spi.write(b"\\x48")
        cs(1)
        print("done")
    """)
    assert "done" in out, sim.console_log
    assert (sim.panel.xs, sim.panel.xe, sim.panel.madctl) == (5, 9, 0x48)
    assert sim.spi_bytes == 7 and not sim.warnings


def test_real_spi_rate_follows_clk_peri(run_main):
    sim, out = run_main("""
        import machine
        from machine import Pin, SPI
        spi = SPI(1, baudrate=62_500_000, sck=Pin(10), mosi=Pin(11), miso=None)
        print(spi)
        machine.freq(125_000_000, 125_000_000)
        print(spi)
        spi.init(baudrate=40_000_000)
        print(spi)
        machine.lightsleep(5)
        print(spi, machine.freq())
    """)
    lines = out.strip().splitlines()
    assert lines[0] == ("SPI(1, baudrate=24000000, polarity=0, phase=0, bits=8, "
                        "sck=10, mosi=11, miso=None)"), sim.console_log
    assert "baudrate=62500000" in lines[1]
    assert "baudrate=31250000" in lines[2]  # 125 MHz / 4: the next even divider
    assert "baudrate=12000000" in lines[3]  # same divider, 48 MHz after the wake
    assert sim.spi_rates() == [24_000_000, 62_500_000, 31_250_000, 12_000_000]


def test_spi1_without_miso_steals_gp8(run_main):
    sim, out = run_main("""
        from machine import Pin, SPI
        dc = Pin(8, Pin.OUT)
        spi = SPI(1, baudrate=10_000_000, sck=Pin(10), mosi=Pin(11))
        print(spi)
        dc(0)
    """)
    assert "miso=8)" in out
    assert sim.warnings and "GP8" in sim.warnings[0]


def test_pin_created_after_spi_takes_gp8_back(run_main):
    sim, _ = run_main("""
        from machine import Pin, SPI
        spi = SPI(1, baudrate=10_000_000, sck=Pin(10), mosi=Pin(11))
        dc = Pin(8, Pin.OUT)
        dc(0)
    """)
    assert sim.warnings == []


def test_adc_reads_the_battery_through_the_divider(run_main):
    sim, out = run_main("""
        from machine import ADC, Pin
        print(ADC(29).read_u16(), ADC(Pin(29)).read_u16(), ADC(3).read_u16())
    """, battery_volts=3.6)
    from pendant.firmware import boards

    ratio = boards.BOARDS[boards.DEFAULT]["vbat_ratio"]
    assert ratio == 2.0  # the Waveshare board halves the cell (hardware/ page)
    want = bus.adc_counts(3.6, ratio)
    assert out.split() == [str(want)] * 3


def test_i2c_enodev_without_imu(run_main):
    _, out = run_main("""
        from machine import I2C, Pin
        i2c = I2C(1, sda=Pin(6), scl=Pin(7))
        print(i2c.scan())
        try:
            i2c.readfrom_mem(0x6B, 0, 1)
        except OSError as e:
            print("errno", e.errno)
    """, board="pico-gc9a01")
    assert out.split() == ["[]", "errno", str(errno.ENODEV)]


def test_i2c_finds_the_waveshare_imu(run_main):
    _, out = run_main("""
        from machine import I2C, Pin
        i2c = I2C(1, sda=Pin(6), scl=Pin(7))
        print(i2c.scan(), i2c.readfrom_mem(0x6B, 0, 1))
    """)
    assert out.strip() == "[107] b'\\x05'"


def test_fast_lightsleep_advances_virtual_clock(run_main):
    sim, out = run_main("""
        import machine, time
        t0 = time.ticks_ms()
        machine.lightsleep(3_600_000)
        time.sleep(60)
        print(time.ticks_diff(time.ticks_ms(), t0) // 1000)
    """, speed="fast")
    assert int(out) >= 3660
    kinds = [r.kind for r in sim.events]
    assert bus.SLEEP in kinds and bus.WAKE in kinds


def test_lightsleep_freezes_dimmed_backlight_lit(sim_with):
    sim = sim_with("""
        import machine, sys
        from machine import PWM, Pin
        bl = PWM(Pin(25), freq=1000, duty_u16=16384)
        sys.stdout.write("dim\\n")
        machine.lightsleep(100_000)
    """)
    assert sim.wait_for(lambda: sim.panel.backlight == 1.0 and sim.wiring.asleep, 5)


def test_pin_irq_wakes_lightsleep(sim_with, read_serial):
    sim = sim_with("""
        import machine, sys
        from machine import Pin
        woke = []
        b = Pin(15, Pin.IN, Pin.PULL_UP)
        b.irq(handler=lambda p: woke.append(p.value()), trigger=Pin.IRQ_FALLING)
        sys.stdin.buffer.read(1)  # the test's port is open
        sys.stdout.write("armed\\n")
        machine.lightsleep(60_000)
        print("woke", woke)
    """, board="pico-gc9a01")
    with serial.Serial(sim.port, timeout=0.05) as port:
        port.write(b"!")
        assert b"armed" in read_serial(sim, until=b"armed", port=port)
        sim.set_pin(15, 0)
        assert b"woke [0]" in read_serial(sim, until=b"woke [0]", port=port)


def test_reset_boots_again(run_main):
    sim, out = run_main("""
        import machine
        try:
            open("booted").close()
            print("second boot")
        except OSError:
            open("booted", "w").close()
            print("first boot")
            machine.reset()
    """)
    assert "first boot" in out and "second boot" in out
    assert sim.boots == 2


def test_dormant_lightsleep_ends_only_on_an_armed_pin_edge(sim_with, read_serial):
    """As on rp2: Pin.irq alone cannot end dormant; an event armed in IO_BANK0's
    DORMANT_WAKE_INTE can (GP15 is in register 1, nibble 7; 0x4 = edge low)."""
    sim = sim_with("""
        import machine, sys
        from machine import Pin
        b = Pin(15, Pin.IN, Pin.PULL_UP)
        b.irq(handler=lambda p: None, trigger=Pin.IRQ_FALLING)
        sys.stdin.buffer.read(1)
        machine.mem32[0x40014000 + 0x160 + 4] = 0x4 << 28
        sys.stdout.write("dormant\\n")
        machine.lightsleep()
        print("awake")
    """, board="pico-st7789", speed="fast")
    with serial.Serial(sim.port, timeout=0.05) as port:
        port.write(b"!")
        assert b"dormant" in read_serial(sim, until=b"dormant", port=port)
        port.write(b"x")  # serial input does not end a dormant sleep
        assert b"awake" not in read_serial(sim, timeout=0.3, until=b"awake", port=port)
        sim.set_pin(15, 0)
        assert b"awake" in read_serial(sim, until=b"awake", port=port)


def test_pin_irq_alone_does_not_end_dormant(sim_with, read_serial):
    sim = sim_with("""
        import machine, sys
        from machine import Pin
        b = Pin(15, Pin.IN, Pin.PULL_UP)
        b.irq(handler=lambda p: None, trigger=Pin.IRQ_FALLING)
        sys.stdin.buffer.read(1)
        sys.stdout.write("dormant\\n")
        machine.lightsleep()
        print("awake")
    """, board="pico-st7789", speed="fast")
    with serial.Serial(sim.port, timeout=0.05) as port:
        port.write(b"!")
        assert b"dormant" in read_serial(sim, until=b"dormant", port=port)
        sim.set_pin(15, 0)
        assert b"awake" not in read_serial(sim, timeout=0.5, until=b"awake", port=port)
    assert any("DORMANT_WAKE_INTE" in w for w in sim.warnings)


def test_spi_init_takes_no_pins_as_on_rp2(run_main):
    """rp2's SPI.init() accepts baudrate, polarity, phase, bits, firstbit only:
    re-pinning is the constructor's job (a firmware bug the sim once hid)."""
    sim, out = run_main("""
        from machine import SPI, Pin
        spi = SPI(1, baudrate=10_000_000, sck=Pin(10), mosi=Pin(11), miso=None)
        spi.init(baudrate=20_000_000)
        try:
            spi.init(baudrate=20_000_000, sck=Pin(10))
            print("accepted")
        except TypeError:
            print("refused")
    """)
    assert "refused" in out

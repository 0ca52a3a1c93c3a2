# Runs first at every boot, before main.py. On a build with a power latch the
# button powers the board only while it is held, so the hold pin is driven
# here, before anything slower (the app's imports, the panel) can run.
import latch

latch.hold_at_boot()

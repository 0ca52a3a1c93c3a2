# Runs at boot (after boot.py). Ctrl-C in a terminal or mpremote stops the app
# and leaves the REPL.
import app

app.main()

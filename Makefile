# Two commands do all the set-up: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint bench clean chromium debs

$(PY):
	python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(TSTAMP): $(STAMP)
	$(PIP) install -q -e '.[test]'
	# PyTorch is only the test reference for gradients; the local CPU wheel, never a runtime dependency.
	$(PIP) install -q torch==2.13.0 || echo "torch not installed: the PyTorch cross-checks will be skipped"
	touch $@

run: $(STAMP)
	$(VENV)/bin/gradwalk serve --host $(HOST) --port $(PORT)

# Debian packages the tests drive: chromium (browser tests), nginx (the proxy recipe's load
# test), graphviz (`dot`, the layout's crossing count is compared with it), postgresql (class
# mode's tests run on it as well as on SQLite; they start their own server). Never at run time.
debs:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="$$missing nginx"; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

chromium: debs

test: $(TSTAMP) debs
	$(VENV)/bin/ruff check app tests bench
	$(VENV)/bin/pytest -q

lint: $(TSTAMP)
	$(VENV)/bin/ruff check app tests bench

bench: $(TSTAMP)
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) *.egg-info

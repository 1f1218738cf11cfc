# Two commands on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-clocks lint bench clean

# Python may keep the compiled modules (__pycache__, ignored by git): where the shell says
# not to, every process the tests start would compile the project again (0.2 s each)
unexport PYTHONDONTWRITEBYTECODE

# uv installs what pip would, in half the time (28 s against 61 s on a fresh clone here)
INSTALL = $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(INSTALL) -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/interview-bot keys init --if-missing
	$(BIN)/interview-bot run || [ $$? -eq 130 ]  # Ctrl-C: answers saved, not a failure

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The whole suite in one run: each test whose outcome depends on the date runs once under
# each of a Sunday evening in Shanghai, the last day of a month and New Year's Eve
# (tests/clock.py), never under today's date (it proves nothing a fixed clock does not);
# `make test-clocks` runs those alone.
CLOCKS := 2026-12-06T19:30:00+08:00 2027-02-28T16:00:00+08:00 2026-12-31T23:30:00+08:00

test: $(STAMP)
	$(BIN)/ruff check .
	@# mypy runs beside the tests (they mostly wait on processes and servers); both must pass
	$(BIN)/mypy > $(VENV)/mypy.log 2>&1 & types=$$!; \
	TEST_CLOCKS="$(CLOCKS)" $(BIN)/pytest -q; tests=$$?; \
	wait $$types; typed=$$?; echo "mypy:"; cat $(VENV)/mypy.log; \
	exit $$(( tests || typed ))

test-clocks: $(STAMP)
	TEST_CLOCKS="$(CLOCKS)" $(BIN)/pytest -q -m wall_clock

# Not part of `make test`: about 75 minutes, writes bench/RESULTS.md (bench/README.md)
bench: $(STAMP)
	$(INSTALL) -e '.[dev,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data

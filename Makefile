# dreamlib: two commands for a newcomer -- `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOK_ENV := DREAMLIB_QUICK=1 DREAMLIB_ALLOW_RANDOM_WEIGHTS=1
NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=600 --durations=0
# A fresh machine without internet: an empty Keras cache, no downloads, only the weights bundled
# with dreamlib (06 is left out: it trains its own networks and uses no pretrained weights).
BUNDLED_ONLY_NOTEBOOKS := $(filter-out notebooks/06_%,$(wildcard notebooks/*.ipynb))

.PHONY: help install demo test unit-tests notebook-tests notebook-tests-bundled dist-tests clean-notebooks handouts bench clean

help:
	@echo "make demo             set up .venv and dream the bundled cat picture"
	@echo "make test             set up .venv and run every test (unit tests, notebooks in quick mode with"
	@echo "                      your Keras cache and again on an empty one (bundled weights only), dist tests)"
	@echo "make clean-notebooks  strip outputs from notebooks before committing"
	@echo "make handouts         workshop handouts: one offline HTML file per notebook, student and instructor"
	@echo "                      editions, in build/handouts/ (QUICK=1 for quick settings, NOTEBOOKS=03,04 to choose)"
	@echo "make bench            time the dream engine (benchmarks/bench_dream.py)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "dreamlib needs Python 3.10 or newer: install it and run make again (or make PYTHON=python3.11 ...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,course,video]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dreamlib dream chelsea dreams/chelsea_dream.png --overwrite

test: unit-tests notebook-tests notebook-tests-bundled dist-tests

unit-tests: $(STAMP)
	$(BIN)/python -m pytest tests

notebook-tests: $(STAMP)
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then \
		$(NOTEBOOK_ENV) $(BIN)/python -m pytest $(NBVAL) notebooks; \
	else echo "no notebooks yet"; fi

notebook-tests-bundled: $(STAMP)
	@home=$$(mktemp -d) && trap 'rm -rf "$$home"' EXIT && echo "notebooks on an empty Keras cache ($$home), offline" && \
		KERAS_HOME="$$home" DREAMLIB_OFFLINE=1 $(NOTEBOOK_ENV) $(BIN)/python -m pytest $(NBVAL) -p no:cacheprovider \
			$(BUNDLED_ONLY_NOTEBOOKS)

# the wheel and sdist (twine check); notebook 02 alone in a folder, on a fresh environment without
# dreamlib that pip-installs it from the wheel (tests/test_distribution.py); a quick handout of 04
# opened offline in headless chromium (tests/test_handouts.py)
dist-tests: $(STAMP)
	$(BIN)/python -m pytest -m dist tests

clean-notebooks: $(STAMP)
	$(BIN)/python tools/clean_notebooks.py

# QUICK=1: quick settings; NOTEBOOKS=03,04: only those (default all). See tools/handouts.py.
QUICK ?= 0
NOTEBOOKS ?= all
handouts: $(STAMP)
	$(BIN)/python tools/handouts.py --notebooks $(NOTEBOOKS) $(if $(filter 1 yes true,$(QUICK)),--quick)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_dream.py

clean:
	rm -rf build dreams .pytest_cache

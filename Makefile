# dreamlib: two commands for a newcomer -- `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOK_ENV := DREAMLIB_QUICK=1 DREAMLIB_ALLOW_RANDOM_WEIGHTS=1

.PHONY: help install demo test unit-tests notebook-tests dist-tests clean-notebooks handouts bench clean

help:
	@echo "make demo             set up .venv and dream the bundled cat picture"
	@echo "make test             set up .venv and run every test (unit tests, notebooks in quick mode, dist tests)"
	@echo "make clean-notebooks  strip outputs from notebooks before committing"
	@echo "make handouts         execute every notebook with full settings into build/handouts/*.html"
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

test: unit-tests notebook-tests dist-tests

unit-tests: $(STAMP)
	$(BIN)/python -m pytest tests

notebook-tests: $(STAMP)
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then \
		$(NOTEBOOK_ENV) $(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
			--durations=0 notebooks; \
	else echo "no notebooks yet"; fi

# the wheel and sdist (twine check), and notebook 02 alone in a folder, on a fresh environment
# without dreamlib that pip-installs it from the wheel (tests/test_distribution.py; about 1.5 min)
dist-tests: $(STAMP)
	$(BIN)/python -m pytest -m dist tests

clean-notebooks: $(STAMP)
	$(BIN)/python tools/clean_notebooks.py

handouts: $(STAMP)
	mkdir -p build/handouts
	DREAMLIB_QUICK=0 $(BIN)/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=-1 \
		--output-dir build/handouts notebooks/*.ipynb
	@echo "Handouts written to build/handouts/"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_dream.py

clean:
	rm -rf build dreams .pytest_cache

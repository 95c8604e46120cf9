# dreamlib: two commands for a newcomer -- `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOK_ENV := DREAMLIB_QUICK=1 DREAMLIB_ALLOW_RANDOM_WEIGHTS=1
NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=600 --durations=0

.PHONY: help install demo test unit-tests notebook-tests grading-tests dist-tests student grade \
	clean-notebooks handouts release bench clean

help:
	@echo "make demo             set up .venv and dream the bundled cat picture"
	@echo "make test             set up .venv and run every test (unit tests, every notebook in quick mode:"
	@echo "                      solved with your Keras cache, as handed out on an empty one, dist tests)"
	@echo "make clean-notebooks  strip outputs from notebooks before committing"
	@echo "make student          write the student edition notebooks/ from solutions/ (nbgrader)"
	@echo "make grade SUBMISSIONS=DIR  autograde DIR/<student>/*.ipynb into course/grades.csv (nbgrader;"
	@echo "                      ROSTER=file of ids, JOBS=N at once (default: the cores), FEEDBACK=1 for feedback pages)"
	@echo "make handouts         workshop handouts: one offline HTML file per notebook; hand out build/handouts/student/"
	@echo "                      (QUICK=1 quick settings, NOTEBOOKS=03,04 to choose, SOLUTIONS_URL=where you will"
	@echo "                      publish the solutions); build/handouts/instructor/ has the solutions: do not copy it"
	@echo "make release          the sdist and wheel in dist/, checked by twine: ready to upload"
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

test: unit-tests notebook-tests grading-tests dist-tests

# Most unit tests keep one core busy: TEST_JOBS processes share them out, a test file each.
TEST_JOBS ?= 2
unit-tests: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile tests

# Notebooks with exercises run in grading-tests instead: nbgrader runs each one solved and unsolved.
UNGRADED_NOTEBOOKS = $(shell grep -L '"nbgrader"' notebooks/*.ipynb 2>/dev/null)

notebook-tests: $(STAMP)
	@if [ -n "$(UNGRADED_NOTEBOOKS)" ]; then \
		$(NOTEBOOK_ENV) $(BIN)/python -m pytest $(NBVAL) $(UNGRADED_NOTEBOOKS); \
	else echo "no notebooks without exercises"; fi

# The student edition and grading: tools/student.py, tools/grade.py, settings in nbgrader_config.py.
student: $(STAMP)
	$(BIN)/python tools/student.py

grade: $(STAMP)
	@if [ -z "$(SUBMISSIONS)" ]; then echo "usage: make grade SUBMISSIONS=folder (one folder of notebooks per student)"; exit 2; fi
	$(BIN)/python tools/grade.py "$(SUBMISSIONS)" $(if $(ROSTER),--roster "$(ROSTER)") \
		$(if $(JOBS),--jobs $(JOBS)) $(if $(filter 1,$(FEEDBACK)),--feedback)

# nbgrader runs each notebook solved (your Keras cache) and as handed out (an empty Keras cache with
# DREAMLIB_OFFLINE=1: a fresh machine without internet, dreamlib's bundled weights only).
grading-tests: $(STAMP)
	DREAMLIB_GRADING_TESTS=1 $(NOTEBOOK_ENV) $(BIN)/python -m pytest --durations=0 tests/test_grading.py

# the wheel and sdist (twine check); notebook 02 alone in a folder, on a fresh environment without
# dreamlib that pip-installs it from the wheel (tests/test_distribution.py); a quick handout of 04
# opened offline in headless chromium (tests/test_handouts.py)
dist-tests: $(STAMP)
	$(BIN)/python -m pytest -m dist tests

clean-notebooks: $(STAMP)
	$(BIN)/python tools/clean_notebooks.py

# QUICK=1: quick settings; NOTEBOOKS=03,04: only those (default all); SOLUTIONS_URL: where the
# presenter will publish the solutions (the student pages' Stuck? line). See tools/handouts.py.
# The student edition is made from notebooks/, which `make student` first brings up to date.
QUICK ?= 0
NOTEBOOKS ?= all
SOLUTIONS_URL ?=
handouts: student
	$(BIN)/python tools/handouts.py --notebooks $(NOTEBOOKS) $(if $(filter 1 yes true,$(QUICK)),--quick) \
		$(if $(SOLUTIONS_URL),--solutions-url "$(SOLUTIONS_URL)")

# What an upload needs: the notebooks in step with the course's home ([project.urls]), then the
# sdist and wheel in dist/ (python -m build), checked as PyPI would (twine check --strict).
release: $(STAMP)
	$(BIN)/python tools/install_cell.py --check
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/python -m twine check --strict dist/*
	@echo "dist/ is ready: attach dist/*.whl to a release of the course's home (README, On Colab), and/or"
	@echo "upload to PyPI with: $(BIN)/python -m twine upload dist/*"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_dream.py

clean:
	rm -rf build dreams .pytest_cache

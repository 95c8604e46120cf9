"""The course notebooks are committed clean and keep the course's shape (goals, exercises, recap)."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
spec = importlib.util.spec_from_file_location("clean_notebooks", ROOT / "tools" / "clean_notebooks.py")
clean_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(clean_notebooks)


def test_the_course_has_its_notebooks():
    names = [p.name[:2] for p in NOTEBOOKS]
    assert names == ["00", "01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path):
    assert clean_notebooks.main(["--check", str(path)]) == 0, f"run `make clean-notebooks` and commit {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_goals_exercises_solutions_and_recap(path):
    text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                     if c["cell_type"] == "markdown").lower()
    for part in ("learning goals", "exercise", "recap"):
        assert part in text, f"{path.name} has no '{part}' section"
    if not path.name.startswith("00"):
        assert "solution" in text, f"{path.name} has no solutions for instructors"


def test_cleaner_strips_outputs_and_counts(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": ["1+1"], "metadata": {"scrolled": True},
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": ["2"]}],
                     "execution_count": 3}], "metadata": {"widgets": {}}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    assert clean_notebooks.main(["--check", str(path)]) == 1
    assert clean_notebooks.main([str(path)]) == 0
    cleaned = json.loads(path.read_text())
    assert cleaned["cells"][0]["outputs"] == [] and cleaned["cells"][0]["execution_count"] is None
    assert "widgets" not in cleaned["metadata"]
    assert clean_notebooks.main(["--check", str(path)]) == 0

"""The course notebooks are committed clean and keep the course's shape (goals, exercises, recap)."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLVED = sorted((ROOT / "solutions").glob("*.ipynb"))  # the editions people edit; notebooks/ has their student edition
spec = importlib.util.spec_from_file_location("clean_notebooks", ROOT / "tools" / "clean_notebooks.py")
clean_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(clean_notebooks)


def test_the_course_has_its_notebooks():
    names = [p.name[:2] for p in NOTEBOOKS]
    assert names == ["00", "01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS + SOLVED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_committed_clean(path):
    assert clean_notebooks.main(["--check", str(path)]) == 0, f"run `make clean-notebooks` and commit {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_goals_exercises_solutions_and_recap(path):
    text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                     if c["cell_type"] == "markdown").lower()
    for part in ("learning goals", "exercise", "recap"):
        assert part in text, f"{path.name} has no '{part}' section"
    if not path.name.startswith("00"):
        assert f"solutions/{path.name}" in text, f"{path.name} does not say where its solutions are"


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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_a_projector(path):
    cells = json.loads(path.read_text())["cells"]
    long = [f"cell {i}: {line.strip()[:60]}... ({len(line)} characters)"
            for i, cell in enumerate(cells) if cell["cell_type"] == "code"
            for line in "".join(cell["source"]).splitlines() if len(line) > 105]
    assert not long, f"{path.name}: wrap code lines to about 100 characters:\n" + "\n".join(long)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_settings_cells_pick_only_what_differs(path):
    """``pick(quick=X, full=X)`` with the same X is a constant in disguise: write the constant."""
    import ast

    same = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code" or "pick(" not in "".join(cell["source"]):
            continue
        try:
            tree = ast.parse("".join(cell["source"]))
        except SyntaxError:
            continue  # IPython magics: not a settings cell
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "pick":
                args = {k.arg: ast.dump(k.value) for k in node.keywords}
                if args.get("quick") is not None and args.get("quick") == args.get("full"):
                    same.append(ast.unparse(node))
    assert not same, f"{path.name}: these pick() give the same value twice: {same}"

"""The graded course end to end: nbgrader autogrades a class of three students (minutes of notebook runs).

`make grading-tests` runs this with quick settings; a plain `pytest tests` skips it. One run covers:
the student edition runs top to bottom with every check saying "Not answered yet" and scores zero, on
an empty Keras cache with downloads off (a fresh machine without internet: dreamlib's bundled weights
alone); the solved notebooks (solutions/) run without an error and score full marks, with the seeded
cache; a submission with exactly one wrong exercise loses exactly that exercise's points. Each case runs
a notebook once, and no cell shows one of TensorFlow's C++ log lines.
"""

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from dreamlib.exercises import NOT_ANSWERED
from dreamlib.quiet import is_log_line

pytestmark = pytest.mark.skipif(os.environ.get("DREAMLIB_GRADING_TESTS") != "1",
                                reason="runs every notebook through nbgrader (minutes): `make grading-tests` runs it")

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("grade", ROOT / "tools" / "grade.py")
grade = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grade)
student = grade.student

SOURCES = student.exercise_notebooks()
WRONG_NOTEBOOK, WRONG_EXERCISE = "00_start_here", 3   # the quickest notebook (seconds)
FULL_MODE_STEPS = "answer_3 = 100  # the full setting, though this notebook runs quick\n"


def with_one_wrong_answer(source, exercise, wrong_lines):
    """The solved notebook ``source`` with exercise ``exercise``'s solution replaced by ``wrong_lines``."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    answer_id = f"{source.name[:2]}_ex{exercise}_answer"
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == answer_id)
    text = "".join(cell["source"])
    cell["source"] = re.sub(r"[ ]*### BEGIN SOLUTION.*### END SOLUTION", wrong_lines.rstrip("\n"), text, flags=re.S)
    assert cell["source"] != text
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade a class folder: `solved` hands in solutions/, `untouched` the student edition (on a fresh
    machine: an empty Keras cache, offline), `wrong` one notebook."""
    tmp = tmp_path_factory.mktemp("class")
    submissions = tmp / "submissions"
    for name in ("solved", "untouched", "wrong"):
        (submissions / name).mkdir(parents=True)
    for source in SOURCES:
        shutil.copyfile(source, submissions / "solved" / source.name)
        shutil.copyfile(ROOT / "notebooks" / source.name, submissions / "untouched" / source.name)
    wrong = with_one_wrong_answer(ROOT / "solutions" / f"{WRONG_NOTEBOOK}.ipynb", WRONG_EXERCISE, FULL_MODE_STEPS)
    (submissions / "wrong" / "my copy.ipynb").write_text(json.dumps(wrong))   # renamed on purpose
    course = tmp / "course"
    empty_cache = tmp / "empty-keras-home"
    fresh_machine = {"KERAS_HOME": str(empty_cache), "DREAMLIB_OFFLINE": "1"}
    table = grade.grade(submissions, course, tmp / "grades.csv",
                        environ=lambda student_id: fresh_machine if student_id == "untouched" else {})
    # the untouched notebooks found that cache empty and filled it with dreamlib's bundled files only
    bundled = {p.name for p in (ROOT / "dreamlib" / "weights").iterdir() if p.suffix in (".h5", ".json")}
    assert (empty_cache / "models").is_dir() and {p.name for p in (empty_cache / "models").iterdir()} <= bundled
    return table, course, tmp / "grades.csv"


def executed(course, student_id, assignment):
    """The cells of the notebook as nbgrader ran it, with outputs."""
    path = course / "autograded" / student_id / assignment / f"{assignment}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def errors(cells):
    return [(grade_id(c) or "".join(c["source"])[:60], o["ename"], o["evalue"][:200])
            for c in cells if c["cell_type"] == "code" for o in c["outputs"] if o["output_type"] == "error"]


def printed(cell):
    return "".join("".join(o.get("text", "")) for o in cell["outputs"] if o["output_type"] == "stream")


def tensorflow_log_lines(cells):
    """TensorFlow's C++ start-up and runtime log lines that reached a cell's output."""
    return [line for c in cells if c["cell_type"] == "code" for line in printed(c).splitlines() if is_log_line(line)]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_solved_notebooks_run_clean_and_get_full_marks(graded, source):
    table, course, _ = graded
    cells = executed(course, "solved", source.stem)
    assert errors(cells) == []
    assert tensorflow_log_lines(cells) == []
    row = {k: v for k, v in table.score["solved"].items() if k[0] == source.name[:2]}
    assert row and all(score == table.columns[k] for k, score in row.items()), row
    assert table.reasons["solved"] == []


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_untouched_student_notebooks_run_to_the_end_and_get_zero(graded, source):
    table, course, _ = graded
    cells = executed(course, "untouched", source.stem)
    # the only errors are the autograder's own test cells failing, and each check said "not answered"
    assert all(where.endswith("_test") and name == "AssertionError" for where, name, _ in errors(cells)), errors(cells)
    assert tensorflow_log_lines(cells) == []
    checks = [c for c in cells if grade_id(c).endswith("_check")]
    assert checks and all(NOT_ANSWERED in printed(c) for c in checks)
    row = {k: v for k, v in table.score["untouched"].items() if k[0] == source.name[:2]}
    assert row and all(score == 0 for score in row.values()), row


def test_one_wrong_exercise_loses_exactly_its_points(graded):
    table, course, csv_path = graded
    row = {k: v for k, v in table.score["wrong"].items() if k[0] == WRONG_NOTEBOOK[:2]}
    assert row[(WRONG_NOTEBOOK[:2], WRONG_EXERCISE)] == 0
    assert all(score == table.columns[k] for k, score in row.items() if k[1] != WRONG_EXERCISE), row
    # the notebooks it did not hand in: 0, and the reason says so
    assert all(score == 0 for k, score in table.score["wrong"].items() if k[0] != WRONG_NOTEBOOK[:2])
    assert all(f"{s.name[:2]}: not handed in" in table.reasons["wrong"] for s in SOURCES if s.stem != WRONG_NOTEBOOK)
    check = next(c for c in executed(course, "wrong", WRONG_NOTEBOOK) if grade_id(c).endswith(f"ex{WRONG_EXERCISE}_check"))
    assert "✗ Not yet" in printed(check) and "Hint:" in printed(check)
    lines = csv_path.read_text().splitlines()
    header = lines[0].split(",")
    assert header[0] == "student" and f"{WRONG_NOTEBOOK[:2]} ex{WRONG_EXERCISE}" in header
    assert header[-2:] == ["total", "reason"]
    assert [line.split(",")[0] for line in lines[2:]] == ["solved", "untouched", "wrong"]

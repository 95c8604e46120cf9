"""The grade book loses no one: every student on the roster or with a folder gets a row, and every
point not awarded by a test has its reason, in the table and on the console (tools/grade.py).

Most cases only read the class folder (no notebook runs); one grades a tiny two-exercise assignment
with nbgrader, two notebooks at a time (seconds: its kernel imports nothing heavy).
"""

import csv
import importlib.util
import json
import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("grade", ROOT / "tools" / "grade.py")
grade = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grade)
student = grade.student

TINY = "90_tiny"


def tiny_source(folder):
    """A source notebook with two exercises (1 and 2 points) whose hidden tests check plain values."""
    def cell(kind, text, grade_id=None, **flags):
        made = nbformat.v4.new_code_cell(text) if kind == "code" else nbformat.v4.new_markdown_cell(text)
        if grade_id:
            made.metadata["nbgrader"] = {"grade_id": grade_id, "grade": False, "solution": False, "locked": False,
                                         "schema_version": 3, **flags}
        return made

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [cell("markdown", "# A tiny assignment\n\nTwo questions, to test the grade book."),
                cell("markdown", "**Exercise 1.** Six times seven?", "90_ex1_statement", locked=True),
                cell("code", "answer_1 = None\n### BEGIN SOLUTION\nanswer_1 = 42\n### END SOLUTION",
                     "90_ex1_answer", solution=True),
                cell("code", "# Autograded, 1 point.\n### BEGIN HIDDEN TESTS\nassert answer_1 == 42\n"
                     "### END HIDDEN TESTS", "90_ex1_test", grade=True, locked=True, points=1),
                cell("markdown", "**Exercise 2.** The capital of France?", "90_ex2_statement", locked=True),
                cell("code", "answer_2 = None\n### BEGIN SOLUTION\nanswer_2 = 'Paris'\n### END SOLUTION",
                     "90_ex2_answer", solution=True),
                cell("code", "# Autograded, 2 points.\n### BEGIN HIDDEN TESTS\nassert answer_2 == 'Paris'\n"
                     "### END HIDDEN TESTS", "90_ex2_test", grade=True, locked=True, points=2)]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{TINY}.ipynb"
    nbformat.write(nb, path)
    return path


def cells_without(nb, grade_id):
    nb = json.loads(json.dumps(nb))
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != grade_id]
    return nb


def with_copied_cells(nb):
    """A test cell copied (Jupyter copies its nbgrader metadata), and a 'bonus' grade cell of its own."""
    nb = json.loads(json.dumps(nb))
    test = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "90_ex1_test")
    bonus = nbformat.v4.new_code_cell("pass")
    bonus.metadata["nbgrader"] = {"grade_id": "90_bonus", "grade": True, "points": 100, "solution": False,
                                  "locked": False, "schema_version": 3}
    nb["cells"] += [json.loads(json.dumps(test)), bonus]
    return nb


def without_metadata(nb):
    nb = json.loads(json.dumps(nb))
    for c in nb["cells"]:
        c["metadata"].pop("nbgrader", None)
    return nb


@pytest.fixture
def tiny_class(tmp_path):
    """solutions/ with the tiny assignment, and a class folder of every case the grade book must keep."""
    source = tiny_source(tmp_path / "solutions")
    solved = json.loads(source.read_text())
    subs = tmp_path / "submissions"
    for name in ("solved", "textfile", "nometa", "deleted", "copied", "nothing", "stray"):
        (subs / name).mkdir(parents=True)
    shutil.copyfile(source, subs / "solved" / source.name)
    (subs / "textfile" / source.name).write_text("my answers: 42 and Paris\n")
    (subs / "nometa" / "copy of my notebook.ipynb").write_text(json.dumps(without_metadata(solved)))
    (subs / "deleted" / source.name).write_text(json.dumps(cells_without(solved, "90_ex2_test")))
    (subs / "copied" / source.name).write_text(json.dumps(with_copied_cells(solved)))
    (subs / "stray" / "notes.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                            "nbformat_minor": 5}))
    roster = tmp_path / "roster.txt"
    roster.write_text("# the class\nsolved\ntextfile\nnometa\ndeleted\ncopied\nnothing\nstray\nabsent  # ill all term\n")
    return tmp_path, subs, roster


def test_roster_file_reads_ids_once_without_comments(tmp_path):
    path = tmp_path / "roster.txt"
    path.write_text("ada\n\n# a comment\nbob  # late joiner\nada\n")
    assert grade.read_roster(path) == ["ada", "bob"]
    path.write_text("# nobody\n")
    with pytest.raises(SystemExit, match="lists no student ids"):
        grade.read_roster(path)


def test_every_student_has_a_row_and_every_zero_a_reason(tiny_class):
    tmp, subs, roster = tiny_class
    assignments = grade.course_assignments(tmp / "solutions")
    students, handins, notes = grade.collect(subs, assignments, grade.read_roster(roster))
    assert students == ["solved", "textfile", "nometa", "deleted", "copied", "nothing", "stray", "absent"]
    found = {h.student: h for h in handins}
    assert set(found) == {"solved", "textfile", "nometa", "deleted", "copied"}   # the others handed in no course notebook
    assert not found["textfile"].run and "not a readable notebook" in found["textfile"].reasons[0]
    assert not found["nometa"].run and "no nbgrader metadata" in found["nometa"].reasons[0]
    assert found["nometa"].assignment == TINY   # recognised by its text, though renamed and without metadata
    assert found["deleted"].run and found["deleted"].zero == {("90", 2)}
    assert "90_ex2_test deleted" in found["deleted"].reasons[0]
    # copied cells would make nbgrader reject the notebook: they run as the student's own, said so
    assert found["copied"].run and not found["copied"].zero and "2 added cells" in found["copied"].reasons[0]
    assert sum(1 for c in found["copied"].notebook["cells"] if "nbgrader" in c["metadata"]) == 6
    assert "notes.ipynb: not one of the course notebooks" in notes["stray"][0]
    assert "nothing handed in" in notes["absent"][0]

    # nbgrader's scores as if every notebook it ran were right: the grade book keeps the zeros
    table = {(h.student, h.assignment): {("90", 1): 1.0, ("90", 2): 2.0} for h in handins if h.run}
    book = grade.book(students, handins, notes, assignments, table, failed={})
    assert book.columns == {("90", 1): 1.0, ("90", 2): 2.0}
    totals = {s: book.total(s) for s in students}
    assert totals == {"solved": 3, "textfile": 0, "nometa": 0, "deleted": 1, "copied": 3, "nothing": 0, "stray": 0,
                      "absent": 0}
    assert book.reasons["solved"] == []
    assert all(book.reasons[s] for s in students if s not in ("solved", "copied"))
    assert "90: not handed in" in book.reasons["nothing"]
    csv_path = grade.write_csv(book, tmp / "grades.csv")
    rows = list(csv.reader(csv_path.open()))
    assert rows[0] == ["student", "90 ex1", "90 ex2", "total", "reason"]
    assert rows[1][:4] == ["(max points)", "1", "2", "3"]
    assert [r[0] for r in rows[2:]] == students
    assert all(r[-1] for r in rows[2:] if r[0] != "solved")   # copied: its note


def test_a_folder_not_on_the_roster_is_graded_with_a_note(tiny_class):
    tmp, subs, _ = tiny_class
    students, _, notes = grade.collect(subs, grade.course_assignments(tmp / "solutions"), ["solved"])
    assert students[0] == "solved" and set(students[1:]) == {"textfile", "nometa", "deleted", "copied", "nothing", "stray"}
    assert notes["deleted"] == ["not on the roster (graded anyway)"]


def test_missing_weights_stop_grading_before_anything_runs(tmp_path, monkeypatch, capsys):
    from dreamlib import course, models

    def readiness(allow_random=None):
        need = course.Need("inception_v3", False, models.WeightsFile("inception.h5", "https://x", None))
        return [course.Readiness("04_tiling_big_images", [(need, "missing")], "verdict")]

    monkeypatch.setattr(course, "readiness", readiness)
    monkeypatch.delenv("DREAMLIB_ALLOW_RANDOM_WEIGHTS", raising=False)
    monkeypatch.setattr(grade, "prepare", lambda *a: pytest.fail("grading started before the weights check"))
    monkeypatch.setattr(grade, "submit", lambda *a: pytest.fail("a notebook ran before the weights check"))
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    shutil.copyfile(ROOT / "notebooks" / "04_tiling_big_images.ipynb", tmp_path / "subs" / "ada" / "mine.ipynb")
    with pytest.raises(SystemExit) as stop:
        grade.grade(tmp_path / "subs", tmp_path / "course")
    line = str(stop.value.code)
    assert "\n" not in line and line.startswith("grade: missing weights inception.h5 (04)")
    # the very line `make handouts` gives, but for its first word
    import handouts
    assert line.removeprefix("grade") == handouts.missing_weights(["04_tiling_big_images"], False).removeprefix("handouts")


TAMPER = """import pathlib, dreamlib.exercises
fake = pathlib.Path(dreamlib.exercises.__file__).parent / "n90.py"   # a spec that takes any answer
fake.write_text("from dreamlib.exercises.core import Question\\nEXERCISES = []\\n")
"""


def test_nbgrader_grades_the_class_in_parallel_and_loses_no_one(tiny_class, capsys):
    """The real thing: nbgrader autogrades four notebooks, two processes at once writing one SQLite
    gradebook; one notebook writes into the grader's package, which is put back, and it gets 0."""
    tmp, subs, roster = tiny_class
    tamperer = json.loads((tmp / "solutions" / f"{TINY}.ipynb").read_text())
    tamperer["cells"].insert(1, nbformat.v4.new_code_cell(TAMPER))
    (subs / "tamperer").mkdir()
    (subs / "tamperer" / f"{TINY}.ipynb").write_text(json.dumps(tamperer))
    fake = ROOT / "dreamlib" / "exercises" / "n90.py"
    assert not fake.exists()
    csv_path = tmp / "grades.csv"
    assert grade.main([str(subs), "--roster", str(roster), "--jobs", "2", "--course", str(tmp / "course"),
                       "--csv", str(csv_path), "--source", str(tmp / "solutions"), "--feedback"]) == 0
    out = capsys.readouterr().out
    rows = {r[0]: r for r in csv.reader(csv_path.open())}
    assert rows["student"] == ["student", "90 ex1", "90 ex2", "total", "reason"]
    totals = {name: r[3] for name, r in rows.items() if name not in ("student", "(max points)")}
    assert totals == {"solved": "3", "textfile": "0", "nometa": "0", "deleted": "1", "copied": "3", "nothing": "0",
                      "stray": "0", "absent": "0", "tamperer": "0"}
    assert not fake.exists()   # put back (removed) as soon as it was noticed
    assert "changed the grader's own files (n90.py added)" in rows["tamperer"][4]
    for name in ("textfile", "nometa", "deleted", "absent", "tamperer"):   # the reason: in the table and on the console
        assert rows[name][4] and rows[name][4].split(";")[0] in out
    # nbgrader's gradebook has every student too (formgrader, `nbgrader export`)
    api = grade.nbgrader_api(tmp / "course")
    with api.gradebook as gradebook:
        assert {s.id for s in gradebook.students} == set(totals)
        assert gradebook.find_submission("90_tiny", "copied").score == 3
    # feedback: the grades, never the hidden tests
    page = (tmp / "course" / "feedback" / "deleted" / TINY / f"{TINY}.html").read_text()
    assert "Autograded, 1 point" in page and "HIDDEN TESTS" not in page and "assert answer_" not in page

"""A battery of cheats, graded through the real `make grade` path (tools/grade.py, nbgrader autograde).

One small assignment is built from the course's own exercise cells (notebook 00's exercises and
notebook 02's `dream_step`, answer, check and hidden test cells as in solutions/), and a class of
students hands it in: one honest, one plainly wrong, and one per cheat. Each cheat comes with wrong
answers (a Question's value that is not the answer, an Implementation off by a factor of 2), so a
cheat that worked would show as points. Every cheated exercise must get 0 and the honest notebook
full marks; nbgrader's feedback page must not show a hidden test.

Cheats that cannot get in each other's way share a notebook, so seven notebooks run, JOBS at a time
(the cores, at least 2): a minute or two on an idle 2-core machine.
"""

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("grade", ROOT / "tools" / "grade.py")
grade = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grade)

# the exercises the battery cheats on: notebook 00's (quick Questions) and the first Implementation
WANTED = re.compile(r"^(00_ex\d+|02_ex1)$")
ASSIGNMENT = "99_cheats"
GRADED_BY_GRADE = "dreamlib.exercises.grading import grade"   # a hidden test of the tamper-resistant kind


def nbgrader_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def source_of(cell):
    return "".join(cell["source"])


def exercise_cells():
    """{exercise id: {"answer": cell, "check": cell, "test": cell}} for the WANTED exercises whose
    hidden test calls grading.grade, from solutions/; and the notebooks' import lines."""
    found, imports = {}, []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        tests = {nbgrader_id(c)[:-5] for c in cells
                 if nbgrader_id(c).endswith("_test") and GRADED_BY_GRADE in source_of(c)}
        mine = {ex for ex in tests if WANTED.match(ex)}
        if not mine:
            continue
        for cell in cells:
            if cell["cell_type"] == "code" and "nbgrader" not in cell["metadata"]:
                imports += [line for line in source_of(cell).splitlines()
                            if re.match(r"(import|from)\s+[\w.]+[^(\\]*$", line)]
            ex, _, part = nbgrader_id(cell).rpartition("_")
            if ex in mine and part in ("answer", "check", "test"):
                found.setdefault(ex, {})[part] = cell
    return {ex: parts for ex, parts in sorted(found.items()) if len(parts) == 3}, list(dict.fromkeys(imports))


EXERCISES, IMPORTS = exercise_cells()

pytestmark = pytest.mark.skipif(not EXERCISES, reason="no exercise of notebooks 00 or 02 has a grading.grade hidden test yet")


def code(text, **nbgrader):
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": text}
    if nbgrader:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": False,
                                        **nbgrader}
    return cell


def assignment_notebook():
    """The assignment's source (what nbgrader releases): a title, the notebooks' imports, then each
    exercise's answer (with its solution), check and test cell (with its hidden test)."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Cheat battery\n\nThe course's own exercise cells."},
             code("\n".join(IMPORTS))]
    for parts in EXERCISES.values():
        cells += [json.loads(json.dumps(parts[p])) for p in ("answer", "check", "test")]
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def honest_notebook():
    """The assignment as a learner hands it in, solved: the solutions in, the test cells as released
    (the learner never sees a hidden test)."""
    nb = assignment_notebook()
    for cell in nb["cells"]:
        if nbgrader_id(cell).endswith("_test"):
            cell["source"] = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", source_of(cell), flags=re.S)
    return nb


def spec_of(exercise_id):
    from dreamlib.exercises import find

    return find(exercise_id)


def cells_of(nb, part):
    """[(exercise id, cell)] for the answer/check/test cells of ``nb``."""
    return [(nbgrader_id(c)[: -len(part) - 1], c) for c in nb["cells"] if nbgrader_id(c).endswith("_" + part)]


def wrong_answers(nb):
    """Every answer cell also answers wrongly: a Question's value that is not the answer, an
    Implementation that returns twice the right values (plausible: it runs, with the right shapes)."""
    from dreamlib.exercises import Implementation

    if nb["metadata"].get("answered_wrongly"):   # once, however many cheats a student combines
        return nb
    nb["metadata"]["answered_wrongly"] = True
    for exercise_id, cell in cells_of(nb, "answer"):
        spec = spec_of(exercise_id)
        text = source_of(cell)
        if isinstance(spec, Implementation):
            text = re.sub(rf"\bdef {spec.name}\(", f"def _right_{spec.name}(", text, count=1)
            text += (f"\n\ndef {spec.name}(*args):\n    out = _right_{spec.name}(*args)\n"
                     f"    return tuple(2 * o for o in out) if isinstance(out, tuple) else 2 * out\n")
        else:
            text += f"\n{spec.name} = 'surely not the answer'\n"
        cell["source"] = text
    return nb


def add_after(nb, part, text_for):
    """A cell of the learner's own after each ``part`` cell (text_for(exercise id) -> its source)."""
    cells = []
    for cell in nb["cells"]:
        cells.append(cell)
        ex, _, kind = nbgrader_id(cell).rpartition("_")
        if kind == part:
            cells.append(code(text_for(ex)))
    nb["cells"] = cells
    return nb


def at_start(nb, text):
    """A cell of the learner's own right after the imports (before every exercise)."""
    nb["cells"].insert(2, code(text))
    return nb


def old_flags(nb):
    return add_after(wrong_answers(nb), "check", lambda ex: f"solved_{int(ex[5:])} = True\npassed = True")


def is_right_patched(nb):
    return at_start(wrong_answers(nb), "is_right = lambda *a, **k: True\n"
                    "import dreamlib.exercises as ex, dreamlib.exercises.legacy as legacy\n"
                    "ex.is_right = legacy.is_right = lambda *a, **k: True")


def check_exercise_patched(nb):
    return at_start(wrong_answers(nb), "import dreamlib.exercises as ex\n"
                    "check_exercise = ex.check_exercise = lambda *a, **k: True")


def core_patched(nb):
    return at_start(wrong_answers(nb), "import dreamlib.exercises.core\n"
                    "dreamlib.exercises.core.check = lambda *a, **k: True\n"
                    "dreamlib.exercises.core.attempt = lambda *a, **k: None\n"
                    "dreamlib.exercises.core.Question.digest = lambda self, answer: self.sha256\n"
                    "dreamlib.exercises.core.describe_difference = lambda *a, **k: None")


def grader_replaced(nb):
    return at_start(wrong_answers(nb), "import sys, types\n"
                    "fake = types.ModuleType('dreamlib.exercises.grading')\n"
                    "fake.grade = lambda *a, **k: None\n"
                    "sys.modules['dreamlib.exercises.grading'] = fake")


def numpy_patched(nb):
    return at_start(wrong_answers(nb), "import numpy as np\n"
                    "np.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n"
                    "np.linalg.norm = lambda *a, **k: 0.0")


def dreamlib_patched(nb):
    return at_start(wrong_answers(nb), "import dreamlib.ascent, dreamlib.objectives\n"
                    "dreamlib.ascent.normalize_gradient = lambda g, *a, **k: 2 * g\n"
                    "dreamlib.objectives.sum_of_squares = lambda *a, **k: (lambda acts: 0.0)")


def calls_reference(nb):
    """An Implementation answered by calling the exercise's own reference (dreamlib's method)."""
    from dreamlib.exercises import Implementation

    nb = wrong_answers(nb)
    for exercise_id, cell in cells_of(nb, "answer"):
        spec = spec_of(exercise_id)
        if isinstance(spec, Implementation):
            cell["source"] = (f"from dreamlib.exercises import find as _find\n\n"
                              f"def {spec.name}(*args):\n    return _find('{exercise_id}').reference(*args)\n")
    return nb


def errors_swallowed(nb):
    return at_start(wrong_answers(nb), "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)")


def tracebacks_hidden(nb):
    return at_start(wrong_answers(nb), "get_ipython().showtraceback = lambda *a, **k: None")


def edited_tests(nb):
    nb = wrong_answers(nb)
    for _, cell in cells_of(nb, "test"):
        cell["source"] = "# Autograded\npass\n"
    return nb


def cells_added(nb):
    """Extra cells: a 'bonus' grade cell of its own, and a copy of each test cell (its grade id) that
    passes, put before the real one."""
    nb = wrong_answers(nb)
    cells = [code("pass", grade=True, grade_id="99_bonus", points=100, locked=False)]
    for cell in nb["cells"]:
        if nbgrader_id(cell).endswith("_test"):
            cells.append(code("pass", **cell["metadata"]["nbgrader"]))
        cells.append(cell)
    nb["cells"] = cells + [{"cell_type": "markdown", "metadata": {}, "source": "my notes"}]
    return nb


def deleted_tests(nb):
    nb["cells"] = [c for c in nb["cells"] if not nbgrader_id(c).endswith("_test")]
    return nb


def without_metadata(nb):
    for cell in nb["cells"]:
        cell["metadata"].pop("nbgrader", None)
    return nb


def combined(*cheats):
    """All of ``cheats`` in one notebook (fewer notebooks to run: each cheat alone also scores 0)."""
    def hand_in(nb):
        for cheat in cheats:
            nb = cheat(nb)
        return nb
    return hand_in


# student id -> what the student hands in: the honest notebook, answered wrongly and cheated
CHEATS = {
    "wrong": wrong_answers,                    # no cheat: the control
    "checker": combined(
        old_flags,                             # sets the old solved_N flags after each check
        is_right_patched,                      # the old checker says yes to anything
        check_exercise_patched,                # the notebook's check says yes to anything
        core_patched,                          # dreamlib.exercises.core's comparison says yes
        grader_replaced),                      # a fake dreamlib.exercises.grading in sys.modules
    "library": combined(
        numpy_patched,                         # np.isclose / allclose / linalg.norm redefined
        dreamlib_patched),                     # dreamlib functions the reference calls, redefined
    "kernel": combined(
        errors_swallowed,                      # the kernel shows no error (custom exception handler)
        tracebacks_hidden,                     # the kernel's showtraceback does nothing
        calls_reference),                      # the Implementation calls dreamlib's own reference
    "cells": combined(
        edited_tests,                          # test cells replaced by `pass`
        cells_added),                          # a bonus grade cell, and fake test cells that pass
}
ZERO_WITH_REASON = {  # honest answers, but what was handed in cannot be graded
    "deleted": (deleted_tests, "deleted"),
    "nometa": (without_metadata, "no nbgrader metadata"),
}


@pytest.fixture(scope="module")
def battery(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cheats")
    source = tmp / "solutions" / f"{ASSIGNMENT}.ipynb"
    source.parent.mkdir()
    source.write_text(json.dumps(assignment_notebook()))
    subs = tmp / "submissions"
    handed_in = {"honest": honest_notebook()}
    handed_in.update({name: cheat(honest_notebook()) for name, cheat in CHEATS.items()})
    handed_in.update({name: make(honest_notebook()) for name, (make, _) in ZERO_WITH_REASON.items()})
    for name, nb in handed_in.items():
        (subs / name).mkdir(parents=True)
        (subs / name / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(nb))
    (subs / "textfile").mkdir()
    (subs / "textfile" / f"{ASSIGNMENT}.ipynb").write_text("my answers are in my head\n")
    jobs = max(2, grade.default_jobs())
    environ = {"DREAMLIB_QUICK": "1", "DREAMLIB_ALLOW_RANDOM_WEIGHTS": "1"}
    book = grade.grade(subs, tmp / "course", tmp / "grades.csv", source.parent, jobs=jobs,
                       environ=lambda _: environ, feedback=True)
    return book, tmp / "course"


def test_the_honest_notebook_gets_full_marks(battery):
    book, _ = battery
    assert book.columns and set(book.columns) == {(ex[:2], int(ex[5:])) for ex in EXERCISES}
    assert book.score["honest"] == book.columns, book.reasons["honest"]
    assert book.reasons["honest"] == []


@pytest.mark.parametrize("student_id", list(CHEATS))
def test_every_cheated_exercise_gets_zero(battery, student_id):
    book, _ = battery
    assert book.total(student_id) == 0, {grade.label(k): v for k, v in book.score[student_id].items() if v}
    assert set(book.score[student_id]) == set(book.columns)   # no extra column, no bonus points


@pytest.mark.parametrize("student_id", [*ZERO_WITH_REASON, "textfile"])
def test_what_cannot_be_graded_gets_zero_and_says_why(battery, student_id):
    book, _ = battery
    assert book.total(student_id) == 0
    why = ZERO_WITH_REASON.get(student_id, (None, "not a readable notebook"))[1]
    assert any(why in reason for reason in book.reasons[student_id]), book.reasons[student_id]


def test_feedback_never_shows_a_hidden_test(battery):
    _, course = battery
    pages = sorted((course / "feedback").rglob("*.html"))
    assert {p.parent.parent.name for p in pages} >= {"honest", "wrong", "library"}
    seeds = {m for parts in EXERCISES.values() for m in re.findall(r"seed=(\d+)", source_of(parts["test"]))}
    for page in pages:
        text = re.sub(r"data:[\w/+.-]+;base64,[\w+/=]+", "", page.read_text(encoding="utf-8"))  # pictures
        assert "HIDDEN TESTS" not in text and "grading import grade" not in text, page
        assert not any(seed in text for seed in seeds), page

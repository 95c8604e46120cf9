"""The exercise mechanism: the learner's check, and a grader that judges the answer itself.

A stand-in exercise (module ``dreamlib.exercises.n99``, made here) asks for ``normalized(g)``, the
mean-|g| normalisation of a gradient, whose reference is dreamlib's ``ascent.normalize_gradient``.
"""

import functools
import sys
import types

import numpy as np
import pytest
import tensorflow as tf

from dreamlib import ascent
from dreamlib.exercises import NOT_ANSWERED, Question, check, check_exercise, learners_or_reference
from dreamlib.exercises.core import Implementation, describe_difference, hash_answer
from dreamlib.exercises.grading import grade, replaced_library_functions


def reference(g):
    return ascent.normalize_gradient(tf.constant(g), "mean_abs").numpy()


def right(g):
    return g / max(np.abs(g).mean(), 1e-7)


def wrong_sign(g):
    return -g / max(np.abs(g).mean(), 1e-7)


def by_std(g):
    return g / (g.std() + 1e-8)


def per_channel(g):
    return g / np.abs(g).mean(axis=(0, 1))


def unnormalised(g):
    return g


def wrong_shape(g):
    return (g / np.abs(g).mean())[None]


def uses_dreamlib(g):
    return ascent.normalize_gradient(tf.constant(g)).numpy()


def crashes(g):
    return g / g.mean(axis=7)


def forgot_return(g):
    g / np.abs(g).mean()


def stub(g):
    """Return g divided by its mean absolute value."""
    # YOUR ANSWER HERE


@pytest.fixture(autouse=True)
def stand_in_exercises(monkeypatch):
    module = types.ModuleType("dreamlib.exercises.n99")
    module.EXERCISES = [
        Implementation(id="99_ex1", name="normalized", reference=reference, hint="divide by the mean of |g|",
                       inputs=lambda rng: (rng.normal(size=(6, 5, 3)).astype(np.float32),),
                       outputs="the normalised gradient", forbidden=("dreamlib.ascent",)),
        Question(id="99_ex2", name="answer_2", sha256=hash_answer("mixed3"), hint="the shallowest of the two"),
    ]
    monkeypatch.setitem(sys.modules, "dreamlib.exercises.n99", module)


def test_the_right_function_passes_the_check_and_the_grade(capsys):
    assert check_exercise("99_ex1", right) is True
    assert "✓" in capsys.readouterr().out
    grade("99_ex1", {"normalized": right}, seed=4321)


@pytest.mark.parametrize("wrong, says", [
    (wrong_sign, "opposite sign"),
    (unnormalised, "constant factor"),
    (by_std, "off by a constant factor"),
    (per_channel, "relative error"),
    (wrong_shape, "shape (1, 6, 5, 3)"),
    (crashes, "raised AxisError"),
    (uses_dreamlib, "calls dreamlib's own ascent.normalize_gradient"),
    (ascent.normalize_gradient, "must be a function you wrote"),
    (functools.partial(reference), "must be a function you wrote"),
    (forgot_return, "is None: the function must return it"),
])
def test_a_wrong_answer_is_told_where_it_differs_and_gets_no_points(wrong, says, capsys):
    assert check_exercise("99_ex1", wrong) is False
    out = capsys.readouterr().out
    assert says in out and "Hint: divide by the mean of |g|" in out and "Traceback" not in out
    with pytest.raises(AssertionError, match="99_ex1"):
        grade("99_ex1", {"normalized": wrong}, seed=4321)


def test_an_answer_hard_coded_for_the_visible_inputs_fails_on_the_graders():
    seen = {}

    def memorised(g):  # right on the inputs the notebook shows, a stored copy otherwise
        key = g.tobytes()
        seen.setdefault(key, right(g))
        return seen[key] if len(seen) <= 2 else next(iter(seen.values()))

    assert check_exercise("99_ex1", memorised) is True
    with pytest.raises(AssertionError):
        grade("99_ex1", {"normalized": memorised}, seed=98765)


def test_an_unanswered_exercise_is_said_and_scores_nothing(capsys):
    assert check_exercise("99_ex1", stub) is None
    assert NOT_ANSWERED in capsys.readouterr().out
    with pytest.raises(AssertionError, match="not answered"):
        grade("99_ex1", {"normalized": stub}, seed=1)
    with pytest.raises(AssertionError, match="not defined"):
        grade("99_ex1", {}, seed=1)


def test_a_question_keeps_only_a_hash_of_its_answer(capsys):
    spec = sys.modules["dreamlib.exercises.n99"].EXERCISES[1]
    assert "mixed3" not in repr(spec)
    assert check_exercise("99_ex2", " Mixed3") is True
    assert check_exercise("99_ex2", "mixed5") is False
    assert "answer_2 is not the answer" in capsys.readouterr().out
    grade("99_ex2", {"answer_2": "mixed3"}, seed=0)
    with pytest.raises(AssertionError):
        grade("99_ex2", {"answer_2": "mixed5"}, seed=0)


def test_the_notebook_goes_on_with_the_learners_function_once_it_is_right(capsys):
    assert learners_or_reference("99_ex1", right) is right
    assert "uses your normalized" in capsys.readouterr().out
    for not_yet in (wrong_sign, stub):
        assert learners_or_reference("99_ex1", not_yet) is reference
        assert "uses dreamlib's normalized, until yours passes exercise 1's check" in capsys.readouterr().out


@pytest.mark.parametrize("target, name", [
    (np, "isclose"), (np, "allclose"), (tf, "reduce_mean"), (ascent, "normalize_gradient"),
    (sys.modules["dreamlib.exercises"], "check_exercise"), (sys.modules["dreamlib.exercises.core"], "attempt"),
    (sys, "setprofile"), (__builtins__ if isinstance(__builtins__, dict) else vars(__builtins__), "abs"),
])
def test_replacing_a_library_function_in_the_notebook_gives_zero(target, name, monkeypatch):
    def cheat(*args, **kwargs):
        return True

    if isinstance(target, dict):
        monkeypatch.setitem(target, name, cheat)
    else:
        monkeypatch.setattr(target, name, cheat)
    with pytest.raises(AssertionError, match=f"the notebook replaced .*{name}"):
        grade("99_ex1", {"normalized": right}, seed=1)


def test_a_method_or_class_replaced_in_the_notebook_is_found(monkeypatch):
    class Tape(tf.GradientTape):
        pass

    Tape.__module__ = "__main__"
    monkeypatch.setattr(tf, "GradientTape", Tape)
    assert "tensorflow.GradientTape" in replaced_library_functions()
    monkeypatch.undo()
    monkeypatch.setattr(tf.Variable, "assign", lambda self, value: self)
    assert any(name.endswith("Variable.assign") for name in replaced_library_functions())


def test_an_untouched_library_has_nothing_replaced():
    assert replaced_library_functions() == []


def test_the_hidden_test_reimports_the_grader_so_a_changed_module_changes_nothing(monkeypatch):
    """The hidden test cell pops dreamlib.exercises* before importing grade: a notebook that swapped
    a module for its own object is back to dreamlib's files."""
    fake = types.ModuleType("dreamlib.exercises.grading")
    fake.grade = lambda *args, **kwargs: None
    for name in [m for m in sys.modules if m.startswith("dreamlib.exercises") and m != "dreamlib.exercises.n99"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "dreamlib.exercises.grading", fake)
    hidden_cell = ('import sys; [sys.modules.pop(m) for m in list(sys.modules) if m.startswith("dreamlib.exercises")'
                   ' and m != "dreamlib.exercises.n99"]\n'
                   "from dreamlib.exercises.grading import grade\n"
                   "grade('99_ex1', {'normalized': wrong}, seed=5)\n")
    with pytest.raises(AssertionError, match="opposite sign"):
        exec(hidden_cell, {"wrong": wrong_sign})


def test_differences_are_described_without_the_expected_values():
    want = np.array([[0.25, -1.5], [2.0, 0.5]])
    assert describe_difference("x", want * (1 + 1e-7), want, 1e-4) is None
    assert "opposite sign" in describe_difference("x", -want, want, 1e-4)
    assert "factor of about 2" in describe_difference("x", 2 * want, want, 1e-4)
    message = describe_difference("x", want + [[0, 0], [0, 3]], want, 1e-4)
    assert "relative error" in message and "2.0" not in message and "0.25" not in message
    assert "list of 2" in describe_difference("weights", [want], [want, want], 1e-4)


# --- the first checks, still used by the value exercises ----------------------------------------

def test_unanswered_exercise_is_reported_not_failed(capsys):
    assert check(None, lambda a: True, "hint") is None
    assert NOT_ANSWERED in capsys.readouterr().out


def test_right_and_wrong_answers(capsys):
    assert check(4, lambda a: a == 4, "two plus two") is True
    assert "✓" in capsys.readouterr().out
    assert check(5, lambda a: a == 4, "two plus two") is False
    assert "Hint: two plus two" in capsys.readouterr().out


def test_a_function_still_as_handed_out_is_unanswered(capsys):
    def forgot_return(x, y):
        x + y

    assert check(stub, lambda f: f(1) == 3, "add them") is None
    assert NOT_ANSWERED in capsys.readouterr().out
    assert check(forgot_return, lambda f: f(1, 2) == 3, "add them") is False  # a bug, not "unanswered"


def test_a_crashing_answer_is_explained(capsys):
    def test(answer):
        return answer.shape == (1,)

    assert check("text", test, "use an array") is False
    assert "AttributeError" in capsys.readouterr().out


def test_a_buggy_function_reaches_the_check_as_a_message(capsys):
    def buggy(shape):
        return shape[5]

    assert check(buggy, lambda f: f((1, 2)) == 1, "index the shape") is False
    assert "IndexError" in capsys.readouterr().out


def test_checks_imported_before_a_hidden_test_reimported_the_package_still_work(monkeypatch, capsys):
    """A notebook imports check_exercise at its top; each hidden test then re-imports the package."""
    for name in [m for m in sys.modules if m.startswith("dreamlib.exercises") and m != "dreamlib.exercises.n99"]:
        monkeypatch.delitem(sys.modules, name)
    from dreamlib.exercises.core import Question as NewQuestion  # what the n99 specs would be made with now

    module = sys.modules["dreamlib.exercises.n99"]
    monkeypatch.setattr(module, "EXERCISES", [NewQuestion(id="99_ex2", name="answer_2", sha256=hash_answer("mixed3"),
                                                          hint="h")] + module.EXERCISES[:1])
    assert check_exercise("99_ex2", "mixed3") is True       # the check_exercise imported at this file's top
    assert check_exercise("99_ex1", right) is True


def test_dreamlibs_own_method_called_inside_a_compiled_function_is_still_noticed():
    @tf.function  # autograph copies normalize_gradient into a file of its own when it traces this
    def compiled_cheat(g):
        return ascent.normalize_gradient(g)

    def cheat(g):
        return compiled_cheat(tf.constant(g)).numpy()

    with pytest.raises(AssertionError, match="calls dreamlib's own ascent.normalize_gradient"):
        grade("99_ex1", {"normalized": cheat}, seed=3)

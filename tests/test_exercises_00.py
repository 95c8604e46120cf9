"""Notebook 00's exercises: each right answer passes and plausible wrong ones fail, in the learner's check
and in the grader; the stored answers are what dreamlib itself does on a bare offline machine."""

import pytest

from dreamlib import data, models, settings
from dreamlib.exercises import check_exercise
from dreamlib.exercises.core import find
from dreamlib.exercises.grading import grade

RIGHT = {
    "00_ex1": ["mobilenet_v2", "MobileNetV2", " mobilenet-v2 "],
    "00_ex2": [6000, "6,000", "6_000", 6000.0],
    "00_ex3": [10, "10", 10.0],
}
WRONG = {
    "00_ex1": ["inception_v3",   # the default, whose weights are missing there
               "mobilenet",      # MobileNet v1 is bundled too, but to classify, not to dream
               "vgg19", "mobilenet_v3"],
    "00_ex2": [60000,            # the full training set
               70000, 7000,      # training and test pictures together
               600, 1000],       # one class; the test subset
    "00_ex3": [100,              # the full value: the variable changed, but steps was picked before
               110, 1, "quick"],
}


@pytest.mark.parametrize("exercise", sorted(RIGHT))
def test_right_answers_pass_the_check_and_the_grader(exercise, capsys):
    name = find(exercise).name
    for answer in RIGHT[exercise]:
        assert check_exercise(exercise, answer) is True, answer
        grade(exercise, {name: answer}, seed=12345)
    assert capsys.readouterr().out.count("✓ Correct") == len(RIGHT[exercise])


@pytest.mark.parametrize("exercise", sorted(WRONG))
def test_plausible_wrong_answers_fail_the_check_and_the_grader(exercise, capsys):
    name = find(exercise).name
    for answer in WRONG[exercise]:
        assert check_exercise(exercise, answer) is False, answer
        with pytest.raises(AssertionError):
            grade(exercise, {name: answer}, seed=12345)
    said = capsys.readouterr().out
    assert said.count("✗ Not yet") == len(WRONG[exercise]) and "Hint: " in said
    for answer in RIGHT[exercise]:  # no message gives the answer away
        assert f" {answer} " not in said.replace(".", " ").replace(":", " ")


@pytest.mark.parametrize("exercise", sorted(RIGHT))
def test_unanswered_is_not_answered_yet(exercise, capsys):
    assert check_exercise(exercise, None) is None
    assert "Not answered yet" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="not answered yet"):
        grade(exercise, {find(exercise).name: None}, seed=12345)
    with pytest.raises(AssertionError, match="is not defined"):
        grade(exercise, {}, seed=12345)


def test_the_answers_are_what_dreamlib_does_on_a_bare_offline_machine(empty_cache, tmp_path, monkeypatch, capsys):
    """The stored hashes follow the library: if dreamlib's fallbacks change, this test says so."""
    monkeypatch.delenv("DREAMLIB_FASHION_MNIST_DIR", raising=False)
    monkeypatch.setenv(data.BUNDLED_ONLY_ENV, "1")
    model, _ = models.choose_default_model()
    assert check_exercise("00_ex1", model) is True
    assert check_exercise("00_ex2", len(data.load_fashion_mnist(subset=True, say=None)[0])) is True
    monkeypatch.setenv("DREAMLIB_QUICK", "1")
    steps = settings.pick(quick=10, full=100)
    monkeypatch.setenv("DREAMLIB_QUICK", "0")
    assert check_exercise("00_ex3", steps) is True
    assert check_exercise("00_ex3", settings.pick(quick=10, full=100)) is False  # had the cell run again

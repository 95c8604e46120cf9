"""Notebook 03's exercises: the right answers pass, plausible wrong answers and cheats do not."""

import pytest
import tensorflow as tf

from dreamlib.exercises import check_exercise
from dreamlib.exercises.grading import grade


# --- exercise 1: the octave loop -------------------------------------------------------------------

def solution(original, shapes, run_octave, resize):
    """The notebook's solution, as written there."""
    small = resize(original, shapes[0])
    x = small
    for i, shape in enumerate(shapes):
        if i > 0:
            big = resize(original, shape)
            x = resize(x, shape) + (big - resize(small, shape))
            small = big
        x = run_octave(x)
    return x


def _loop(order=1, detail=1.0, from_dream=False, carry=True, resize_original=False, detail_after=False,
          skip_first=False):
    """An octave loop with one thing changed, for the wrong answers below."""
    def wrong(original, shapes, run_octave, resize):
        shapes = list(shapes)[::order]
        first = small = resize(original, shapes[0])
        x = small
        for i, shape in enumerate(shapes):
            if i > 0:
                big = resize(original, shape)
                base = resize(original, shape) if resize_original else resize(x, shape)
                lost = big - resize(x if from_dream else small, shape)
                x = base if detail_after else base + detail * lost
                if carry:
                    small = big
                else:
                    small = first
            if not (skip_first and i == 0):
                x = run_octave(x)
            if detail_after and i > 0:
                x = x + detail * lost
        return x
    return wrong


WRONG_LOOPS = {
    "largest octave first": _loop(order=-1),
    "no lost detail": _loop(detail=0.0),
    "lost detail with the wrong sign": _loop(detail=-1.0),
    "resizes the original instead of the dream": _loop(resize_original=True),
    "lost detail measured on the dream, not the original": _loop(from_dream=True),
    "the shrunk original not carried on (always the smallest)": _loop(carry=False),
    "lost detail added after the octave's ascent (keras.io's order)": _loop(detail_after=True),
    "no ascent at the smallest octave": _loop(skip_first=True),
}


def calls_dreamlib(original, shapes, run_octave, resize):
    from dreamlib import octaves

    small = resize(original, shapes[0])
    x = run_octave(small)
    for shape in shapes[1:]:
        big = resize(original, shape)
        x = run_octave(octaves.enlarge(x, shape, small, big))
        small = big
    return x


def test_the_solutions_loop_passes_the_check_and_the_grade():
    assert check_exercise("03_ex1", solution) is True
    grade("03_ex1", {"dream_octaves": solution}, seed=321)


@pytest.mark.parametrize("name", list(WRONG_LOOPS))
def test_a_wrong_loop_is_rejected(name, capsys):
    wrong = WRONG_LOOPS[name]
    assert check_exercise("03_ex1", wrong) is False, name
    assert "Not yet" in capsys.readouterr().out
    with pytest.raises(AssertionError):
        grade("03_ex1", {"dream_octaves": wrong}, seed=321)


def test_calling_dreamlibs_enlarge_is_not_an_answer(capsys):
    assert check_exercise("03_ex1", calls_dreamlib) is False
    assert "dreamlib's own" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="dreamlib's own"):
        grade("03_ex1", {"dream_octaves": calls_dreamlib}, seed=8)


def test_an_unanswered_loop_says_so(capsys):
    def stub(original, shapes, run_octave, resize):
        """The dream at the last octave's size."""

    assert check_exercise("03_ex1", stub) is None
    assert "Not answered yet" in capsys.readouterr().out


# --- exercise 2: D's layout as exponents -----------------------------------------------------------

@pytest.mark.parametrize("right", [range(-3, 1), [-3, -2, -1, 0], (-3, -2, -1, 0)])
def test_the_exponents_pass(right):
    assert check_exercise("03_ex2", right) is True
    grade("03_ex2", {"answer_2": right}, seed=1)


@pytest.mark.parametrize("wrong", [range(-4, 0), range(0, 4), range(-3, 0), [-2, -1, 0, 1], 4, "range(-3, 1)"])
def test_wrong_exponents_are_rejected(wrong):
    assert check_exercise("03_ex2", wrong) is False
    with pytest.raises(AssertionError):
        grade("03_ex2", {"answer_2": wrong}, seed=1)


# --- exercise 4: keras.io's recipe as DreamSettings -------------------------------------------------

def test_kerasio_settings():
    from dreamlib.dream import DreamSettings

    right = DreamSettings(steps=20, step_size=0.01, octaves=3, octave_scale=1.4, max_loss=15, lost_detail=True)
    assert check_exercise("03_ex4", right) is True
    grade("03_ex4", {"answer_4": right}, seed=2)
    wrongs = [DreamSettings(steps=20, step_size=0.01, octaves=4, octave_scale=1.4, max_loss=20, lost_detail=True),  # D's
              DreamSettings(steps=20, step_size=0.01, octaves=3, octave_scale=1.4, max_loss=15, lost_detail=False),
              DreamSettings(steps=50, step_size=0.01, octaves=3, octave_scale=1.3, max_loss=15, lost_detail=True),
              {"steps": 20}, None]
    for wrong in wrongs[:-1]:
        assert check_exercise("03_ex4", wrong) is False
        with pytest.raises(AssertionError):
            grade("03_ex4", {"answer_4": wrong}, seed=2)
    assert check_exercise("03_ex4", None) is None

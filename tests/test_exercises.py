from dreamlib.exercises import NOT_ANSWERED, check


def test_unanswered_exercise_is_reported_not_failed(capsys):
    assert check(None, lambda a: True, "hint") is None
    assert NOT_ANSWERED in capsys.readouterr().out


def test_right_and_wrong_answers(capsys):
    assert check(4, lambda a: a == 4, "two plus two") is True
    assert "✓" in capsys.readouterr().out
    assert check(5, lambda a: a == 4, "two plus two") is False
    assert "Hint: two plus two" in capsys.readouterr().out


def test_a_crashing_answer_is_explained(capsys):
    def test(answer):
        return answer.shape == (1,)

    assert check("text", test, "use an array") is False
    assert "AttributeError" in capsys.readouterr().out



def test_a_function_still_as_handed_out_is_unanswered(capsys):
    def stub(x, y):
        """What the learner should write."""
        # YOUR ANSWER HERE

    def forgot_return(x, y):
        x + y

    def written(x, y):
        return x + y

    assert check(stub, lambda f: f(1, 2) == 3, "add them") is None
    assert NOT_ANSWERED in capsys.readouterr().out
    assert check(written, lambda f: f(1, 2) == 3, "add them") is True
    assert check(forgot_return, lambda f: f(1, 2) == 3, "add them") is False  # a bug, not "unanswered"
    assert "Hint: add them" in capsys.readouterr().out


def test_a_buggy_function_reaches_the_check_as_a_message(capsys):
    def buggy(shape):
        return shape[5]

    assert check(buggy, lambda f: f((1, 2)) == 1, "index the shape") is False
    assert "IndexError" in capsys.readouterr().out


def test_answers_kept_out_of_the_notebooks_accept_the_right_one_only(monkeypatch, tmp_path):
    import math
    from pathlib import Path

    import numpy as np

    from dreamlib import models
    from dreamlib.exercises import ANSWER_CHECKS, is_right

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("DREAMLIB_QUICK", "1")
    vgg = models.BACKBONES["vgg19"].notop.name
    a = np.linspace(-1.0, 2.0, 24, dtype=np.float32).reshape(1, 2, 3, 4)
    D = np.array([[2.0, 1.0], [-1.0, 3.0], [0.5, -2.0]])
    G = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    gains = {"block_2_add": 0.01, "block_5_add": 0.03, "block_9_add": -0.02}
    cases = {  # exercise: (the notebook's values it works on, a right answer, wrong answers)
        "00_ex1": ((), vgg, ["vgg19.h5", vgg.upper()]),
        "00_ex2": ((), tmp_path / "models" / vgg, [Path(vgg), tmp_path / vgg]),
        "00_ex3": ((), 10, [100, "10"]),
        "02_ex1": ((a,), float(np.mean(a ** 2)), [float(np.sum(a ** 2)), float(np.mean(a))]),
        "02_ex3": ((), 5.1, [0.02, 255 / 0.02]),
        "04_ex1": ((), 6, [4, 9]),
        "05_ex1": ((D, G), [0, 1, 2], [[0, 0, 0], [0, 1, 0]]),
        "05_ex4": ((gains,), "block_5_add", ["block_2_add", "block_9_add"]),
        "06_ex1": ((), (math.log(2), math.log(2)), [(math.log(2), 2 * math.log(2)), (0.5, 0.5)]),
    }
    assert set(cases) == set(ANSWER_CHECKS)
    for exercise, (given, right, wrongs) in cases.items():
        assert is_right(exercise, right, *given) is True, exercise
        for wrong in wrongs:
            assert is_right(exercise, wrong, *given) is False, (exercise, wrong)

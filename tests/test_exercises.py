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


def test_number_checks_give_one_line_with_the_range_and_an_example():
    import pytest

    from dreamlib.errors import DreamlibError, check_number, check_whole_number

    assert check_whole_number("epochs", 3) == 3 and check_number("fps", 12, 0, 60, example=12) == 12.0
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(DreamlibError, match=r"epochs must be a whole number of at least 1, such as 10"):
            check_whole_number("epochs", bad)
    with pytest.raises(DreamlibError, match=r"frames must be a whole number from 1 to 9, such as 4; got 10"):
        check_whole_number("frames", 10, 1, 9, example=4)
    for bad in (0, float("nan"), float("inf"), 61, False):
        with pytest.raises(DreamlibError, match=r"fps must be a number above 0 and at most 60, such as 12"):
            check_number("fps", bad, 0, 60, example=12)

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


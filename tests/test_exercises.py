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

"""Checks for the notebooks' exercises: a learner runs one and reads whether the answer works."""

NOT_ANSWERED = "Not answered yet: fill in the exercise cell, run it, then run this check again."


def check(answer, test, hint, success="Correct - well done!"):
    """Run ``test(answer)`` and print a verdict; returns True, False, or None when unanswered.

    ``test`` returns True/False (or raises AssertionError with a message); ``hint`` says what to
    look at when the answer does not work yet.
    """
    if answer is None or answer is Ellipsis:
        print(NOT_ANSWERED)
        return None
    try:
        passed = bool(test(answer))
        reason = ""
    except AssertionError as e:
        passed, reason = False, str(e)
    except Exception as e:  # a learner's answer can fail in any way: say how, don't crash
        passed, reason = False, f"{e.__class__.__name__}: {e}"
    if passed:
        print(f"✓ {success}")
    else:
        print(f"✗ Not yet. {reason + ' ' if reason else ''}Hint: {hint}")
    return passed

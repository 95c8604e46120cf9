"""The first exercise checks: ``check(answer, test, hint)`` and ``is_right`` (expected values kept out
of the notebooks). Being replaced by ``Implementation`` and ``Question`` specs (see ``core``)."""

import dis

NOT_ANSWERED = "Not answered yet: fill in the exercise cell, run it, then run this check again."


def _returns_none_only(function):
    """True when ``function``'s body does nothing but return None (a docstring, comments, pass)."""
    code = getattr(function, "__code__", None)
    if code is None:
        return False
    steps = [(i.opname, i.argval) for i in dis.get_instructions(code)
             if i.opname not in ("RESUME", "NOP", "CACHE", "COPY_FREE_VARS", "MAKE_CELL")]
    return steps in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


def unanswered(answer):
    """True for an exercise as handed out: ``None``, ``...``, or a function whose body is still empty."""
    return answer is None or answer is Ellipsis or (callable(answer) and _returns_none_only(answer))


def check(answer, test, hint, success="Correct - well done!"):
    """Run ``test(answer)`` and print a verdict; returns True, False, or None when unanswered.

    ``test`` returns True/False (or raises AssertionError with a message); ``hint`` says what to
    look at when the answer does not work yet. A learner's answer that crashes inside the test is
    reported with the error's name and message, never as a traceback.
    """
    if unanswered(answer):
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


# Checks whose expected value, written out in a notebook's visible check cell, would be the answer.
# Each takes the learner's answer and the notebook's own values the exercise works on.

ANSWER_CHECKS = {}


def is_right(exercise, answer, *given):
    """True when ``answer`` is right for ``exercise`` (its grade id, "02_ex3"), without the notebook
    showing the expected value; ``given``: the notebook's values the exercise works on."""
    return bool(ANSWER_CHECKS[exercise](answer, *given))

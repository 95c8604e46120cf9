"""The notebooks' exercises: what each asks, the learner's check, and (in ``grading``) the grader's test.

In a notebook::

    from dreamlib.exercises import check_exercise, learners_or_reference
    check_exercise("02_ex1", dream_step)                 # ✓, or where it differs from dreamlib's, and a hint
    step = learners_or_reference("02_ex1", dream_step)   # the learner's once right, else dreamlib's

Each exercise is described once, in ``dreamlib/exercises/nNN.py`` (see ``core``); nbgrader's hidden
test calls ``dreamlib.exercises.grading.grade``, which cannot be talked round from the notebook.
"""

from dreamlib.exercises.core import NOT_ANSWERED, Implementation, Mismatch, Question, attempt, find
from dreamlib.exercises.legacy import ANSWER_CHECKS, check, is_right, unanswered

__all__ = ["NOT_ANSWERED", "Implementation", "Question", "check", "check_exercise", "learners_or_reference",
           "unanswered", "is_right", "ANSWER_CHECKS"]


def check_exercise(exercise_id, answer):
    """Compare ``answer`` with dreamlib's on the exercise's own inputs; print ✓ or where it differs.

    Returns True, False, or None while the answer is still as handed out.
    """
    spec = find(exercise_id)
    if unanswered(answer):
        print(NOT_ANSWERED)
        return None
    try:
        attempt(spec, answer, getattr(spec, "check_seed", 0))
    except Mismatch as mismatch:
        print(f"✗ Not yet: {mismatch} Hint: {spec.hint}")
        return False
    what = f"your {spec.name} gives dreamlib's numbers" if spec.kind == "implementation" else "right"
    print(f"✓ Correct - {what}.")
    return True


def learners_or_reference(exercise_id, answer):
    """The learner's function once it passes its check, else dreamlib's (and say which is used)."""
    spec = find(exercise_id)
    if not unanswered(answer):
        try:
            attempt(spec, answer, spec.check_seed)
        except Mismatch:
            pass
        else:
            print(f"From here on this notebook uses your {spec.name}.")
            return answer
    print(f"From here on this notebook uses dreamlib's {spec.name}, until yours passes exercise "
          f"{int(exercise_id[5:])}'s check.")
    return spec.reference

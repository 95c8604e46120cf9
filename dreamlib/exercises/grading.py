"""nbgrader's hidden tests: grade the learner's answer itself, in a way the notebook cannot talk round.

Each exercise's hidden test cell re-imports this package from its files (so a notebook that replaced
``check_exercise`` or a spec changes nothing) and calls::

    grade("02_ex1", globals(), seed=80211)

``seed`` draws inputs the notebook never shows, so no hard-coded result passes. Before anything runs,
``replaced_library_functions`` looks for library functions the notebook replaced with its own code
(``np.isclose = lambda *a, **k: True``, a dreamlib function, ``sys.setprofile``): any gives 0 points,
with the name of what was replaced. The answer must be the learner's own code: calls into the
dreamlib modules an exercise forbids are noticed (see ``core.Tripwire``). A wrong answer raises
AssertionError with where it differs, which nbgrader records as 0 points for that cell.
"""

import functools
import sys
import types

from dreamlib.exercises.core import Mismatch, attempt, find, is_library_file
from dreamlib.exercises.legacy import unanswered

# the packages whose functions a grade relies on, directly or through dreamlib's reference
WATCHED = ("numpy", "tensorflow", "keras", "dreamlib", "builtins", "math", "cmath", "importlib", "functools",
           "operator", "hashlib", "types", "sys", "inspect", "copy", "random", "dataclasses")


def _is_learners(value):
    """True for a function or class that the notebook (not a library) defined."""
    if isinstance(value, (staticmethod, classmethod, types.MethodType)):
        value = value.__func__
    if isinstance(value, property):
        return any(_is_learners(f) for f in (value.fget, value.fset, value.fdel) if f is not None)
    if isinstance(value, functools.partial):
        return _is_learners(value.func)
    if isinstance(value, types.FunctionType):
        # code that exec() or eval() wrote ("<string>": dataclasses, namedtuple) counts as the notebook's
        # when the notebook ran it (its __module__ is then __main__)
        return value.__module__ == "__main__" or not is_library_file(value.__code__.co_filename)
    if isinstance(value, type):
        return value.__module__ == "__main__"
    return False


def replaced_library_functions():
    """Names such as ``numpy.isclose`` whose value, in a watched package, is the notebook's own code."""
    found, seen = [], set()
    for name, module in list(sys.modules.items()):
        if module is None or name.partition(".")[0] not in WATCHED:
            continue
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        for attribute, value in items:
            if _is_learners(value):
                found.append(f"{name}.{attribute}")
            elif isinstance(value, type) and id(value) not in seen \
                    and str(getattr(value, "__module__", "")).partition(".")[0] in WATCHED:
                seen.add(id(value))
                for member, inner in list(vars(value).items()):
                    if _is_learners(inner):
                        found.append(f"{name}.{attribute}.{member}")
    return sorted(set(found))


def grade(exercise_id, namespace, seed):
    """Pass silently when the learner's answer to ``exercise_id`` is right; else raise AssertionError."""
    replaced = replaced_library_functions()
    if replaced:
        more = f" (and {len(replaced) - 1} more)" if len(replaced) > 1 else ""
        raise AssertionError(f"{exercise_id}: the notebook replaced {replaced[0]}{more} with its own code; "
                             "grading needs the library's own: remove that line and run the notebook again")
    spec = find(exercise_id)
    if spec.name not in namespace:
        raise AssertionError(f"{exercise_id}: {spec.name} is not defined: run the exercise's cell")
    answer = namespace[spec.name]
    if unanswered(answer):
        raise AssertionError(f"{exercise_id} is not answered yet")
    try:
        attempt(spec, answer, seed)
    except Mismatch as mismatch:
        raise AssertionError(f"{exercise_id}: {mismatch}") from None

"""What an exercise is, and how a learner's answer is compared with dreamlib's.

Two kinds of exercise, each described once in ``dreamlib/exercises/nNN.py`` (one module per notebook):

- ``Implementation``: the learner writes a function (the ascent step, the octave loop, ...). It is
  called on fresh inputs beside dreamlib's own version (``reference``, same signature) and the two
  results are compared by relative error, as CS231n's assignments do. A message says where they
  differ (which output, shape, sign, scale), never what the right values are.
- ``Question``: the learner writes a value (often: what a picture shows). Only the SHA-256 of the
  normalised right answer is stored, so the answer cannot be read or imported from dreamlib.

``check_exercise`` (the notebook's visible check) and ``grading.grade`` (nbgrader's hidden test)
both run ``attempt``; grading adds inputs the notebook never shows and an integrity scan.
"""

import functools
import hashlib
import importlib
import os
import re
import sys
import sysconfig
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

import numpy as np

NOT_ANSWERED = "Not answered yet: fill in the exercise cell, run it, then run this check again."


class Mismatch(Exception):
    """The learner's answer differs from dreamlib's; the message says where (never the answer)."""


@dataclass(frozen=True)
class Implementation:
    """An exercise where the learner writes a function that must give dreamlib's numbers.

    ``inputs(rng)`` returns the positional arguments of one trial; it is called twice with equal
    generators (once for dreamlib's answer, once for the learner's), so it must be deterministic
    given ``rng`` and return fresh objects if the function changes them. ``run(fn, args)`` calls
    the function (default ``fn(*args)``; e.g. inside ``tf.function``). ``forbidden``: dreamlib
    modules the learner's function must not call into (calling dreamlib's own method is not an
    answer). ``diagnose(got, want, args)`` may return a sharper message than the generic one.
    """

    kind: ClassVar[str] = "implementation"
    id: str
    name: str
    reference: Callable
    inputs: Callable[[np.random.Generator], tuple]
    hint: str
    outputs: tuple | str = "result"
    rtol: float = 1e-4
    trials: int = 2
    forbidden: tuple = ()
    run: Callable | None = None
    diagnose: Callable | None = None
    check_seed: int = 0


@dataclass(frozen=True)
class Question:
    """An exercise whose answer is a value; only its normalised SHA-256 is kept."""

    kind: ClassVar[str] = "question"
    id: str
    name: str
    sha256: str
    hint: str
    normalize: Callable[[Any], str] = field(default=lambda answer: str(answer).strip().lower())

    def digest(self, answer):
        return hash_answer(self.normalize(answer))


def hash_answer(text):
    """The hex SHA-256 of a normalised answer (how a Question's ``sha256`` is made)."""
    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def find(exercise_id):
    """The spec of ``exercise_id`` ("02_ex1"), from ``dreamlib.exercises.n02``."""
    try:
        module = importlib.import_module(f"dreamlib.exercises.n{exercise_id[:2]}")
    except ModuleNotFoundError:
        module = None
    for spec in getattr(module, "EXERCISES", ()):
        if spec.id == exercise_id:
            return spec
    raise KeyError(f"no exercise {exercise_id!r} in dreamlib.exercises")


# --- is a piece of code the library's, or the learner's? -------------------------------------------

@functools.lru_cache(maxsize=None)
def _library_roots():
    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths |= {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(__file__).resolve().parent.parent)}
    return tuple(sorted({str(Path(p).resolve()) for p in paths if p}))


@functools.lru_cache(maxsize=4096)
def is_library_file(filename):
    """True for code that ships with Python, an installed package or dreamlib; False for the learner's
    (a notebook cell, or a file of their own)."""
    if filename.startswith("<ipython-input") or re.search(r"[/\\]ipykernel_\d+[/\\]", filename):
        return False
    path = Path(filename)
    if filename.startswith("<") or not (path.is_absolute() or path.exists()):
        return True  # "<frozen ...>", "<string>", "namedtuple_X": code that Python or a library wrote
    try:
        resolved = str(path.resolve())
    except (OSError, ValueError):
        return False
    return any(resolved == root or resolved.startswith(root + os.sep) for root in _library_roots())


def learners_function(fn):
    """The plain Python function behind a learner's answer (a ``tf.function`` is unwrapped), or None."""
    fn = getattr(fn, "python_function", fn)
    if isinstance(fn, types.FunctionType) and not is_library_file(fn.__code__.co_filename):
        return fn
    return None


# --- running the learner's function --------------------------------------------------------------

def _module_files(names):
    files = set()
    for name in names:
        module = sys.modules.get(name) or importlib.import_module(name)
        if getattr(module, "__file__", None):
            files.add(str(Path(module.__file__).resolve()))
    return files


def _code_of(value):
    value = getattr(value, "python_function", value)
    value = getattr(value, "__func__", value)
    if isinstance(value, types.FunctionType):
        return value.__code__
    call = getattr(type(value), "__call__", None)
    return getattr(call, "__code__", None)


@functools.lru_cache(maxsize=8192)
def _resolved(filename):
    """``filename`` resolved, once per file: the tripwire sees every Python call (TensorFlow makes many)."""
    return str(Path(filename).resolve())


class Tripwire:
    """Notices, while it is active, any call into a ``forbidden`` file made by the learner's code.

    Calls made by callables the exercise hands the learner (``allowed``: the function's own
    arguments) are fine; so are calls from library code below the learner's (TensorFlow's).
    """

    def __init__(self, forbidden_files, allowed=()):
        self.forbidden_files = forbidden_files
        self.allowed = {code for code in map(_code_of, allowed) if code is not None}
        self.boundary = None
        self.calls = []

    def _profile(self, frame, event, arg):
        if event != "call" or not self.forbidden_files:
            return
        filename = frame.f_code.co_filename
        if filename not in self.forbidden_files and _resolved(filename) not in self.forbidden_files:
            return
        caller = frame.f_back
        while caller is not None and caller is not self.boundary:
            if caller.f_code in self.allowed:
                return
            if not is_library_file(caller.f_code.co_filename):
                self.calls.append(f"{Path(filename).stem}.{frame.f_code.co_name}")
                return
            caller = caller.f_back

    def call(self, run, fn, args):
        previous = sys.getprofile()
        self.boundary = sys._getframe()
        sys.setprofile(self._profile)
        try:
            return run(fn, args)
        finally:
            sys.setprofile(previous)


def _plain_run(fn, args):
    return fn(*args)


def _numeric(value):
    if hasattr(value, "numpy"):
        value = value.numpy()
    array = np.asarray(value)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        return None
    return array.astype(np.float64)


def relative_error(got, want):
    """||got - want|| / max(||got||, ||want||): 0 for equal arrays, 1 or more for unrelated ones."""
    scale = max(float(np.linalg.norm(got)), float(np.linalg.norm(want)), 1e-12)
    return float(np.linalg.norm(got - want)) / scale


def describe_difference(label, got, want, rtol):
    """None when ``got`` matches ``want`` to ``rtol``; else one sentence saying where it differs."""
    if isinstance(want, (list, tuple)) and not (len(want) and np.isscalar(want[0])):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            return f"{label} should be a list of {len(want)} values"
        for i, (g, w) in enumerate(zip(got, want)):
            problem = describe_difference(f"{label}[{i}]", g, w, rtol)
            if problem:
                return problem
        return None
    w = _numeric(want)
    if w is None:
        return None if got == want else f"{label} is not what it should be"
    if got is None:
        return f"{label} is None: the function must return it"
    g = _numeric(got)
    if g is None:
        return f"{label} is a {type(got).__name__}, not a number or an array"
    if g.shape != w.shape:
        return f"{label} has shape {g.shape}; it should have shape {w.shape}"
    if not np.all(np.isfinite(g)):
        return f"{label} holds NaN or infinite values"
    error = relative_error(g, w)
    if error <= rtol:
        return None
    if relative_error(-g, w) <= rtol:
        return f"{label} has the opposite sign"
    wn = float(np.vdot(w, w))
    if wn > 0:
        factor = float(np.vdot(g, w)) / wn
        if abs(factor) > 1e-12 and relative_error(g, factor * w) <= max(rtol, 1e-3):
            return f"{label} is off by a constant factor of about {factor:.3g} (a missing normalisation, or a mean for a sum?)"
    return f"{label} differs: relative error {error:.1e} (at most {rtol:.0e} is accepted)"


def _outputs(spec, value):
    names = (spec.outputs,) if isinstance(spec.outputs, str) else tuple(spec.outputs)
    if len(names) == 1:
        return names, (value,)
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        count = "nothing" if value is None else (f"{len(value)} values" if isinstance(value, (tuple, list)) else "one value")
        raise Mismatch(f"the function returned {count}; it should return {len(names)}: {', '.join(names)}")
    return names, tuple(value)


def _describe_error(error):
    return f"{error.__class__.__name__}: {error}".strip()


def _calls_when_eager(spec, answer, trial_seed, forbidden):
    """The forbidden calls of one more run with every tf.function run eagerly: autograph copies the
    functions a compiled answer calls into files of its own, which hides them from a Tripwire."""
    import tensorflow as tf

    args = spec.inputs(np.random.default_rng(int(trial_seed)))
    wire = Tripwire(forbidden, allowed=[a for a in args if callable(a)])
    eager = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    try:
        wire.call(spec.run or _plain_run, answer, args)
    except Exception:  # noqa: S110 (only the calls matter here; the compiled run already judged the answer)
        pass
    finally:
        tf.config.run_functions_eagerly(eager)
    return wire.calls


def attempt(spec, answer, seed):
    """Compare ``answer`` with the exercise's right answer; raises ``Mismatch`` saying where it differs.

    For an Implementation: ``spec.trials`` trials on inputs drawn from ``seed``, the learner's
    function watched by a Tripwire for calls into ``spec.forbidden``.
    """
    # by kind, not class: a hidden test re-imports this package, and the notebook's check cells keep
    # using the classes they imported before, with specs made by the new ones
    if spec.kind == "question":
        if spec.digest(answer) != spec.sha256:
            raise Mismatch(f"{spec.name} is not the answer")
        return
    fn = learners_function(answer)
    if fn is None:
        raise Mismatch(f"{spec.name} must be a function you wrote in the notebook (def {spec.name}(...):)")
    run = spec.run or _plain_run
    forbidden = _module_files(spec.forbidden)
    for trial, trial_seed in enumerate(np.random.SeedSequence(seed).generate_state(spec.trials)):
        want = run(spec.reference, spec.inputs(np.random.default_rng(int(trial_seed))))
        args = spec.inputs(np.random.default_rng(int(trial_seed)))
        wire = Tripwire(forbidden, allowed=[a for a in args if callable(a)])
        try:
            got = wire.call(run, answer, args)
        except Mismatch:
            raise
        except Exception as error:  # the learner's code can fail in any way: say how, no traceback
            raise Mismatch(f"{spec.name} raised {_describe_error(error)}") from None
        calls = wire.calls or (forbidden and _calls_when_eager(spec, answer, trial_seed, forbidden))
        if calls:
            raise Mismatch(f"{spec.name} calls dreamlib's own {calls[0]}: write the method yourself")
        names, wanted = _outputs(spec, want)
        _, given = _outputs(spec, got)
        for name, g, w in zip(names, given, wanted):
            problem = describe_difference(name, g, w, spec.rtol)
            if problem:
                sharper = spec.diagnose(got, want, args) if spec.diagnose else None
                where = "" if spec.trials == 1 else f" (trial {trial + 1} of {spec.trials})"
                raise Mismatch((sharper or problem) + where)

"""The one place that reads dreamlib's environment switches.

``DREAMLIB_QUICK=1`` asks for quick settings (small images, few steps) everywhere: in CI, on a
laptop CPU, in a classroom. ``DREAMLIB_ALLOW_RANDOM_WEIGHTS=1`` lets notebooks fall back to an
untrained network when pretrained weights are missing (the pictures are then labelled untrained).
``DREAMLIB_OFFLINE=1`` never tries to download weights (a room without internet, or CI checking
that the course runs with dreamlib's bundled weights alone).
"""

import os

QUICK_ENV = "DREAMLIB_QUICK"
RANDOM_WEIGHTS_ENV = "DREAMLIB_ALLOW_RANDOM_WEIGHTS"
OFFLINE_ENV = "DREAMLIB_OFFLINE"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _flag(name):
    """The switch ``name``: on, off, or one clear error for a value such as 'banana'."""
    value = os.environ.get(name, "").strip().lower()
    if value not in _TRUE | _FALSE:
        from dreamlib.errors import DreamlibError

        raise DreamlibError(f"{name}={os.environ[name]!r} is neither on nor off: set it to 1 or 0 "
                            f"(or true/false, yes/no, on/off)")
    return value in _TRUE


def is_quick():
    """True when quick settings are asked for (``DREAMLIB_QUICK=1``)."""
    return _flag(QUICK_ENV)


def random_weights_allowed():
    """True when an untrained network may stand in for missing weights."""
    return _flag(RANDOM_WEIGHTS_ENV)


def offline():
    """True when weights must not be downloaded (``DREAMLIB_OFFLINE=1``)."""
    return _flag(OFFLINE_ENV)


def check_switches():
    """Read every switch once, so that a value such as DREAMLIB_QUICK=banana is said at the start."""
    for name in (QUICK_ENV, RANDOM_WEIGHTS_ENV, OFFLINE_ENV):
        _flag(name)


def pick(quick, full):
    """Return ``quick`` under quick settings, else ``full``: one hyperparameter, two values."""
    return quick if is_quick() else full

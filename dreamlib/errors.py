"""Errors that speak to a learner: what went wrong and the one thing to do about it."""


class DreamlibError(Exception):
    """A problem with the user's input or setup, reported as one clear line."""


class WeightsMissingError(DreamlibError):
    """Pretrained weights are neither in the Keras cache nor downloadable."""


def no_permission(path):
    """The one line for a file (or folder) the user may not read: said as such, never as 'damaged'."""
    return DreamlibError(f"no permission to read {path}: make it readable (chmod a+r '{path}') "
                         f"or copy it somewhere you can read")


def check_whole_number(name, value, low=1, high=None, example=10):
    """``value`` as an int, or one clear error naming ``name``, the allowed range and an example."""
    import numpy as np

    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low \
            or (high is not None and value > high):
        allowed = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise DreamlibError(f"{name} must be a whole number {allowed}, such as {example}; got {value!r}")
    return int(value)


def check_number(name, value, above, at_most, example):
    """``value`` as a float in (``above``, ``at_most``], or one clear error naming ``name`` and an example."""
    import math

    import numpy as np

    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or not above < value <= at_most:
        raise DreamlibError(f"{name} must be a number above {above:g} and at most {at_most:g}, "
                            f"such as {example}; got {value!r}")
    return float(value)

"""Errors that speak to a learner: what went wrong and the one thing to do about it."""


class DreamlibError(Exception):
    """A problem with the user's input or setup, reported as one clear line."""


class WeightsMissingError(DreamlibError):
    """Pretrained weights are neither in the Keras cache nor downloadable."""

"""Gradient ascent on the input image: the heart of every dream.

Training changes weights to lower a loss; here the weights stay fixed and the *pixels* change
to raise an objective. One step:  x <- clip(x + step_size * g / norm(g)).

The step and the loop it runs in live in ``dreamlib.render`` (the one optimisation loop); this
module names the two pieces a lesson reaches for: the gradient of a network's objective with
respect to its input, and the normalisation of that gradient.
"""

from dreamlib.knobs import NORMALIZATIONS  # noqa: F401 (the methods normalize_gradient knows)
from dreamlib.render import LossGradient, normalize_gradient  # noqa: F401 (the public names)
from dreamlib.old_engine import ascend_in_chunks, gradient_ascent  # noqa: F401 (until no notebook names them)

"""Gradient ascent on the input image: the heart of every dream.

Training changes weights to lower a loss; here the weights stay fixed and the *pixels* change
to raise an objective. One step:  x <- clip(x + step_size * g / norm(g)).
"""

import numpy as np
import tensorflow as tf

from dreamlib.errors import DreamlibError
from dreamlib.knobs import NORMALIZATIONS
from dreamlib.models import feature_extractor, input_range
from dreamlib.tiles import gradient_by_tiles

_IMAGE = tf.TensorSpec(shape=[None, None, 3], dtype=tf.float32)
_SCALAR = tf.TensorSpec(shape=[], dtype=tf.float32)
_CUTS = tf.TensorSpec(shape=[None], dtype=tf.int32)
_COUNT = tf.TensorSpec(shape=[], dtype=tf.int32)


def normalize_gradient(gradient, method="mean_abs"):
    """Scale a gradient so the step size means the same at every layer and image size.

    ``mean_abs``: g / max(mean|g|, 1e-7) (articles A, C, D); ``std``: g / (std(g) + 1e-8)
    (article B); ``l2``: g / max(||g||₂ / √n, 1e-7), the L2 norm scaled by the pixel count.
    """
    if method == "mean_abs":
        return gradient / tf.maximum(tf.reduce_mean(tf.abs(gradient)), 1e-7)
    if method == "std":
        return gradient / (tf.math.reduce_std(gradient) + 1e-8)
    if method == "l2":
        rms = tf.norm(tf.reshape(gradient, [-1])) / tf.sqrt(tf.cast(tf.size(gradient), gradient.dtype))
        return gradient / tf.maximum(rms, 1e-7)
    raise DreamlibError(f"unknown gradient normalisation {method!r}: choose one of {', '.join(NORMALIZATIONS)}")


class LossGradient:
    """The objective's value and its gradient with respect to the (preprocessed) input image.

    Both compiled functions take an image of any height and width: the input signature is
    shape-agnostic, so TensorFlow traces them once and new image sizes do not retrace.
    """

    def __init__(self, backbone, objective):
        self.backbone = backbone
        self.objective = objective
        self.extractor = feature_extractor(backbone, objective.layers)
        low, high = input_range(backbone.spec)
        self.low, self.high = tf.constant(low), tf.constant(high)
        self.loss_and_gradient = tf.function(self._loss_and_gradient, input_signature=[_IMAGE])
        self.tiled_loss_and_gradient = tf.function(self._tiled_loss_and_gradient,
                                                   input_signature=[_IMAGE, _CUTS, _CUTS, _COUNT])
        self._steps = {}  # one compiled step per normalisation method

    def _loss_and_gradient(self, x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs = self.extractor(x[tf.newaxis], training=False)
            if not isinstance(outputs, (list, tuple)):
                outputs = [outputs]
            loss = self.objective(dict(zip(self.objective.layers, outputs)))
        return loss, tape.gradient(loss, x)

    def _tiled_loss_and_gradient(self, x, rows, cols, margin):
        return gradient_by_tiles(x, self._loss_and_gradient, rows, cols, margin)

    def __call__(self, x):
        loss, gradient = self.loss_and_gradient(tf.convert_to_tensor(x, tf.float32))
        return float(loss), gradient

    def step(self, x, gradient, step_size, normalize="mean_abs"):
        """One ascent step: normalise the gradient, move along it, clip to valid input."""
        if normalize not in self._steps:
            normalize_gradient(tf.ones([1, 1, 3]), normalize)  # rejects unknown methods

            def apply_step(x, gradient, step_size):
                moved = x + step_size * normalize_gradient(gradient, normalize)
                return tf.clip_by_value(moved, self.low, self.high)

            self._steps[normalize] = tf.function(apply_step, input_signature=[_IMAGE, _IMAGE, _SCALAR])
        return self._steps[normalize](tf.convert_to_tensor(x, tf.float32), gradient,
                                      tf.constant(step_size, tf.float32))

    def tracing_count(self):
        """How many times a compiled function was traced, at most (1 after any number of image sizes)."""
        return max(f.experimental_get_tracing_count() for f in (self.loss_and_gradient, self.tiled_loss_and_gradient))


class AscentStopped(Exception):
    """Raised by ``gradient_ascent`` when ``on_step`` asks to stop; carries the picture so far."""

    def __init__(self, x, losses):
        super().__init__("stopped")
        self.x, self.losses = x, losses


def gradient_ascent(x, gradient_fn, step_fn, steps, step_size, max_loss=None, progress=None, on_step=None):
    """Run up to ``steps`` ascent steps on preprocessed image ``x``.

    ``gradient_fn(x) -> (loss, gradient)`` (whole image or tiled), ``step_fn(x, g, step_size)``
    applies one step. Stops early, before stepping, once the loss exceeds ``max_loss`` (articles
    A and D) so the picture does not drift too far from the original. ``progress`` is a tqdm bar
    to advance; ``on_step(step, loss)`` is called after every step and may return False to stop
    at once (``AscentStopped`` then carries the picture). Returns (x, losses, stopped_early).
    """
    losses = []
    for _ in range(steps):
        loss, gradient = gradient_fn(x)
        if not np.isfinite(loss):
            if not losses:
                raise DreamlibError("the loss is NaN or infinite before the first step: the network's "
                                    "weights or the picture hold NaN/inf values; reload them")
            raise DreamlibError(f"the loss became NaN or infinite at step {len(losses) + 1}: lower step_size")
        losses.append(loss)
        if max_loss is not None and loss > max_loss:
            return x, losses, True
        x = step_fn(x, gradient, step_size)
        if progress is not None:
            progress.update(1)
            progress.set_postfix(loss=f"{loss:.4g}")
        if on_step is not None and on_step(len(losses), loss) is False:
            raise AscentStopped(x, losses)
    return x, losses, False

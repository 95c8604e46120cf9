"""Gradient ascent on the input image: the heart of every dream.

Training changes weights to lower a loss; here the weights stay fixed and the *pixels* change
to raise an objective. One step:  x <- clip(x + step_size * g / norm(g)).
"""

import time

import numpy as np
import tensorflow as tf

from dreamlib.errors import DreamlibError
from dreamlib.knobs import NORMALIZATIONS  # noqa: F401 (the methods normalize_gradient knows)
from dreamlib.models import feature_extractor, input_range
from dreamlib.tiles import gradient_by_tiles, needs_tiles, tile_grid

_IMAGE = tf.TensorSpec(shape=[None, None, 3], dtype=tf.float32)
_SCALAR = tf.TensorSpec(shape=[], dtype=tf.float32)
_CUTS = tf.TensorSpec(shape=[None], dtype=tf.int32)
_COUNT = tf.TensorSpec(shape=[], dtype=tf.int32)
_SHIFTS = tf.TensorSpec(shape=[None, 2], dtype=tf.int32)


def normalize_gradient(gradient, method="mean_abs"):
    """Scale a gradient so the step size means the same at every layer and image size.

    ``mean_abs``: g / max(mean|g|, 1e-7) (articles A, C, D); ``std``: g / (std(g) + 1e-8)
    (article B); ``l2``: g / max(||g||₂ / √n, 1e-7), the L2 norm scaled by the pixel count.
    """
    if method == "std":
        return gradient / (tf.math.reduce_std(gradient) + 1e-8)
    if method == "l2":
        rms = tf.norm(tf.reshape(gradient, [-1])) / tf.sqrt(tf.cast(tf.size(gradient), gradient.dtype))
        return gradient / tf.maximum(rms, 1e-7)
    return gradient / tf.maximum(tf.reduce_mean(tf.abs(gradient)), 1e-7)  # "mean_abs"


class LossGradient:
    """The objective's value and its gradient with respect to the (preprocessed) input image.

    Every compiled function takes an image of any height and width: the input signatures are
    shape-agnostic, so TensorFlow traces each once and new image (and tile) sizes do not retrace.
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
        self._steps = {}    # one compiled step per normalisation method
        self._ascents = {}  # one compiled multi-step ascent per (normalisation, tiled or not)

    def _loss_and_gradient(self, x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs = self.extractor(x[tf.newaxis], training=False)
            if not isinstance(outputs, (list, tuple)):
                outputs = [outputs]
            loss = self.objective(dict(zip(self.objective.layers, outputs)))
        return loss, tape.gradient(loss, x)

    def _tiled_loss_and_gradient(self, x, rows, cols, margin):
        return gradient_by_tiles(x, self._loss_and_gradient, rows, cols, margin,
                                 self.objective.area_power)

    def __call__(self, x):
        loss, gradient = self.loss_and_gradient(tf.convert_to_tensor(x, tf.float32))
        return float(loss), gradient

    def _apply_step(self, x, gradient, step_size, normalize):
        moved = x + step_size * normalize_gradient(gradient, normalize)
        return tf.clip_by_value(moved, self.low, self.high)

    def step(self, x, gradient, step_size, normalize="mean_abs"):
        """One ascent step: normalise the gradient, move along it, clip to valid input."""
        if normalize not in self._steps:
            self._steps[normalize] = tf.function(
                lambda x, gradient, step_size: self._apply_step(x, gradient, step_size, normalize),
                input_signature=[_IMAGE, _IMAGE, _SCALAR])
        return self._steps[normalize](tf.convert_to_tensor(x, tf.float32), gradient,
                                      tf.constant(step_size, tf.float32))

    def _ascend(self, x, shifts, step_size, max_loss, rows, cols, margin, normalize, tiled):
        """Up to ``len(shifts)`` steps in one compiled loop, as article B runs them.

        Step i rolls the picture by ``shifts[i]``, takes the (tiled) gradient, rolls it back and
        steps - unless the loss is above ``max_loss`` or not finite: then the loop ends before
        stepping. Returns the picture and the loss of every step tried.
        """
        losses = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        go_on = tf.constant(True)
        for i in tf.range(tf.shape(shifts)[0]):
            if not go_on:
                break
            rolled = tf.roll(x, shifts[i], axis=[0, 1])
            if tiled:
                loss, gradient = gradient_by_tiles(rolled, self._loss_and_gradient, rows, cols, margin,
                                                  self.objective.area_power)
            else:
                loss, gradient = self._loss_and_gradient(rolled)
            losses = losses.write(i, loss)
            go_on = tf.logical_and(tf.math.is_finite(loss), loss <= max_loss)
            if go_on:
                x = self._apply_step(x, tf.roll(gradient, -shifts[i], axis=[0, 1]), step_size, normalize)
        return x, losses.stack()

    def ascend(self, x, shifts, step_size, max_loss=None, normalize="mean_abs", tile_size=0, margin=0):
        """Run ``len(shifts)`` ascent steps on ``x`` in one compiled call: (picture, losses).

        ``shifts``: one (dy, dx) roll per step; the picture is tiled when bigger than
        ``tile_size``, each tile seen with ``margin`` pixels of context. A loss above ``max_loss``
        (or not finite) ends the loop without its step: it is the last loss returned.
        """
        x = tf.convert_to_tensor(x, tf.float32)
        tiled = needs_tiles(x.shape[:2], tile_size)
        key = (normalize, tiled)
        if key not in self._ascents:
            self._ascents[key] = tf.function(
                lambda *args: self._ascend(*args, normalize=normalize, tiled=tiled),
                input_signature=[_IMAGE, _SHIFTS, _SCALAR, _SCALAR, _CUTS, _CUTS, _COUNT])
        rows, cols = tile_grid(x.shape[:2], tile_size)
        return self._ascents[key](x, tf.constant(np.reshape(shifts, (-1, 2)), tf.int32),
                                  tf.constant(step_size, tf.float32),
                                  tf.constant(np.inf if max_loss is None else max_loss, tf.float32),
                                  rows, cols, tf.constant(margin, tf.int32))

    def tracing_count(self):
        """How many times a compiled function was traced, at most (1 after any number of image sizes)."""
        functions = [self.loss_and_gradient, self.tiled_loss_and_gradient, *self._ascents.values()]
        return max(f.experimental_get_tracing_count() for f in functions)


class AscentStopped(Exception):
    """Raised when ``on_step`` asks to stop; carries the picture so far and the losses."""

    def __init__(self, x, losses):
        super().__init__("stopped")
        self.x, self.losses = x, losses


STOP_WITHIN_SECONDS = 0.5   # a compiled chunk of steps grows until it takes about this long


def ascend_in_chunks(x, run_steps, steps, max_loss=None, progress=None, on_step=None, grow=True):
    """Run up to ``steps`` ascent steps on ``x`` by calling ``run_steps(x, n) -> (x, losses)``.

    ``run_steps`` runs up to ``n`` steps (one compiled call), stopping before a step whose loss
    is above ``max_loss`` (articles A and D: the picture should not drift too far from the
    original) or not finite. Chunks start at one step and double while a chunk takes less than
    ``STOP_WITHIN_SECONDS``, so few calls are made and a Stop still comes quickly:
    ``on_step(step, loss)`` is called for every step taken and may return False to stop at the
    end of the chunk (``AscentStopped`` then carries the picture and every step's loss).
    ``progress``: a tqdm bar.
    Returns (x, losses, stopped_early).
    """
    losses, chunk, stop = [], 1, False
    while len(losses) < steps:
        start = time.perf_counter()
        x, tried = run_steps(x, min(chunk, steps - len(losses)))
        tried = [float(loss) for loss in np.asarray(tried)]
        if grow and time.perf_counter() - start < STOP_WITHIN_SECONDS / 2:
            chunk *= 2
        for loss in tried:
            if not np.isfinite(loss):
                if not losses:
                    raise DreamlibError("the loss is NaN or infinite before the first step: the network's "
                                        "weights or the picture hold NaN/inf values; reload them")
                raise DreamlibError(f"the loss became NaN or infinite at step {len(losses) + 1}: lower step_size")
            losses.append(loss)
            if max_loss is not None and loss > max_loss:
                return x, losses, True
            if progress is not None:
                progress.update(1)
                progress.set_postfix(loss=f"{loss:.4g}", refresh=False)
            stop = stop or (on_step is not None and on_step(len(losses), loss) is False)
        if stop:  # the chunk's steps are taken: the record keeps every one of them
            raise AscentStopped(x, losses)
    return x, losses, False


def gradient_ascent(x, gradient_fn, step_fn, steps, step_size, max_loss=None, progress=None, on_step=None):
    """``ascend_in_chunks`` one step at a time, with any ``gradient_fn(x) -> (loss, gradient)``
    (whole image, tiled, rolled) and ``step_fn(x, g, step_size)`` applying one step."""
    def one_step(x, count):
        loss, gradient = gradient_fn(x)
        if not np.isfinite(loss) or (max_loss is not None and loss > max_loss):
            return x, [loss]
        return step_fn(x, gradient, step_size), [loss]

    return ascend_in_chunks(x, one_step, steps, max_loss, progress, on_step, grow=False)

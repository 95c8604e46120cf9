"""Gradient ascent on the input image: the heart of every dream.

Training changes weights to lower a loss; here the weights stay fixed and the *pixels* change
to raise an objective. One step:  x <- clip(x + step_size * g / norm(g)).

Two parts of the render loop (``dreamlib.render``) live here: ``LossGradient``, the gradient of a
network's objective with respect to its input (whole, or in seamless tiles), and DeepDream's
step rule, ``normalized_step``, with its three normalisations (``normalize_gradient``).
"""

import functools

import numpy as np
import tensorflow as tf

from dreamlib.knobs import NORMALIZATIONS  # noqa: F401 (the methods normalize_gradient knows)
from dreamlib.models import feature_extractor
from dreamlib.old_engine import OldSteps  # old entry points notebooks still name: see dreamlib.old_engine
from dreamlib.precision import compute_dtype, loss_scale, mixed_extractor, note_once
from dreamlib.tiles import gradient_by_tiles, needs_tiles, tile_grid, window_bytes_per_pixel

_IMAGE = tf.TensorSpec(shape=[None, None, 3], dtype=tf.float32)
_CUTS = tf.TensorSpec(shape=[None], dtype=tf.int32)
_COUNT = tf.TensorSpec(shape=[], dtype=tf.int32)


class LossGradient(OldSteps):
    """``loss, g = gradient(x)``: the objective's value and its gradient with respect to the
    (preprocessed) input picture ``x``, computed whole or, given ``tile_size``, in tiles seen with
    ``margin`` pixels of context. Compiled once for any picture (and tile) size.

    ``precision="mixed"`` runs the network in 16 bits (see ``dreamlib.precision``); the loss and
    the gradient stay float32."""

    def __init__(self, backbone, objective, precision="float32"):
        self.backbone = backbone
        self.objective = objective
        self.precision = precision
        self.dtype = compute_dtype(precision)
        self.extractor = mixed_extractor(feature_extractor(backbone, objective.layers), precision, self.dtype)
        self.loss_scale = loss_scale(self.dtype)
        note_once(precision)
        self.whole = tf.function(self.loss_and_gradient, input_signature=[_IMAGE])
        self.tiled = tf.function(self.tiled_loss_and_gradient,
                                 input_signature=[_IMAGE, _CUTS, _CUTS, _COUNT, _COUNT])

    @functools.cached_property
    def bytes_per_pixel(self):
        """Bytes a window of this network holds per pixel, at most: ``dreamlib.tiles.window_bytes_per_pixel``."""
        return window_bytes_per_pixel(self.extractor)

    def activations(self, batch):
        """The objective's layers' activations of a batch of pictures, as a list (one per layer)."""
        outputs = self.extractor(batch, training=False)
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

    def loss_and_gradient(self, x):
        """(loss, gradient) of one picture, traced inside the caller's graph."""
        x = tf.convert_to_tensor(x, tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = self.objective(dict(zip(self.objective.layers, self.activations(x[tf.newaxis]))))
        return loss, self.input_gradient(tape, loss, x)

    def input_gradient(self, tape, loss, x):
        """d loss / d x. In float16 the backward pass starts from ``loss_scale`` instead of 1 (and the
        gradient is divided by it after), so that small gradients do not round to zero on the way."""
        if self.loss_scale == 1:
            return tape.gradient(loss, x)
        return tape.gradient(loss, x, output_gradients=tf.fill(tf.shape(loss), self.loss_scale)) / self.loss_scale

    def windows_loss_and_gradient(self, windows):
        """Each window's loss (b,) and gradient, for a batch of windows (b, height, width, 3)."""
        windows = tf.convert_to_tensor(windows, tf.float32)
        layers = self.objective.layers
        with tf.GradientTape() as tape:
            tape.watch(windows)
            losses = tf.map_fn(lambda acts: tf.cast(self.objective(dict(zip(layers, [a[tf.newaxis] for a in acts]))),
                                                    tf.float32), tuple(self.activations(windows)),
                               fn_output_signature=tf.float32)
            total = tf.reduce_sum(losses)  # windows do not interact: each gets its own loss's gradient
        return losses, self.input_gradient(tape, total, windows)

    def tiled_loss_and_gradient(self, x, rows, cols, margin, batch=1):
        """(loss, gradient) put together tile by tile, ``batch`` windows at a time: see
        ``dreamlib.tiles.gradient_by_tiles``."""
        return gradient_by_tiles(x, self.windows_loss_and_gradient, rows, cols, margin, self.objective.area_power,
                                 batch)

    def __call__(self, x, tile_size=0, margin=0, batch=1):
        x = tf.convert_to_tensor(x, tf.float32)
        if needs_tiles(x.shape[:2], tile_size):
            loss, gradient = self.tiled(x, *tile_grid(x.shape[:2], tile_size), tf.constant(margin, tf.int32),
                                        tf.constant(batch, tf.int32))
        else:
            loss, gradient = self.whole(x)
        return float(loss), gradient


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


def normalized_step(normalize="mean_abs", low=-np.inf, high=np.inf):
    """DeepDream's step: x + step_size * normalised g, clipped to the network's input range.

    ``knobs["step_size"]`` is the step; the rule keeps no state.
    """
    def rule(x, gradient, state, knobs):
        moved = x + knobs["step_size"] * normalize_gradient(gradient, normalize)
        return tf.clip_by_value(moved, low, high), state

    rule.start = lambda params: ()
    return rule


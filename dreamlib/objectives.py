"""Objectives: what a dream maximises, as a function of a network's activations.

An ``Objective`` wraps a function of a dict ``{layer name: activation}`` (each activation of
shape (1, height, width, channels)) that returns one number. Objectives add and scale like
numbers, so ``0.5 * sum_of_squares("block2_pool") + 1.2 * sum_of_squares("block5_pool")`` is
article A's two-layer loss.
"""

import tensorflow as tf

from dreamlib.knobs import parse_layer_weights  # noqa: F401 (the --layers text, read without TensorFlow)


class Objective:
    """A scalar function of named layer activations; supports ``+``, ``-`` and ``*`` by numbers.

    ``area_power`` says how the value grows with the picture's area: 0 for means (most objectives
    here), 0.5 for norms. Tiles use it to scale each window's gradient to the whole picture's.
    """

    def __init__(self, fn, layers, description, area_power=0.0):
        self.fn = fn
        self.layers = tuple(dict.fromkeys(layers))
        self.description = description
        self.area_power = area_power
        self.recipe = None  # {"layers": {layer: weight}, "objective": kind, "border": n}: weighted_layers

    def __call__(self, activations):
        return self.fn(activations)

    def __add__(self, other):
        if isinstance(other, (int, float)) and other == 0:
            return self  # lets sum() start from 0
        if not isinstance(other, Objective):
            return NotImplemented
        # a norm plus a mean has no single area power: tiles then scale it as a mean
        power = self.area_power if self.area_power == other.area_power else 0.0
        return Objective(lambda acts: self(acts) + other(acts), self.layers + other.layers,
                         f"{self.description} + {other.description}", power)

    __radd__ = __add__

    def __mul__(self, factor):
        if not isinstance(factor, (int, float)):
            return NotImplemented
        return Objective(lambda acts: float(factor) * self(acts), self.layers,
                         f"{factor:g} * {self.description}", self.area_power)

    __rmul__ = __mul__

    def __neg__(self):
        return -1.0 * self

    def __sub__(self, other):
        return self + (-other)

    def __repr__(self):
        return f"Objective({self.description})"


def mean_activation(layer):
    """Mean of the layer's activations (article B): big layers do not dominate the sum."""
    return Objective(lambda acts: tf.reduce_mean(acts[layer]), [layer], f"mean({layer})")


def crop_border(activation, border):
    """Drop ``border`` pixels on every side of an activation (article D), when it is big enough."""
    if not border:
        return activation
    height, width = tf.shape(activation)[1], tf.shape(activation)[2]
    big_enough = tf.logical_and(height > 2 * border, width > 2 * border)
    return tf.cond(big_enough, lambda: activation[:, border:-border, border:-border, :],
                   lambda: activation)


def sum_of_squares(layer, border=0, divide_by="whole"):
    """Sum of squared activations over their count (articles A and D), ``border`` pixels cropped.

    ``divide_by="whole"`` divides by the element count of the whole, uncropped activation, as
    article D and keras.io do, so their ``max_loss`` values (20, 15) mean the same here;
    ``"cropped"`` divides by the count of the elements kept: a true mean square of the interior,
    larger by whole/cropped (1.7x for a 17x17 map, border 2). Without a border they agree.
    """

    def fn(acts):
        whole = acts[layer]
        kept = crop_border(whole, border)
        count = tf.size(whole if divide_by == "whole" else kept)
        return tf.reduce_sum(tf.square(kept)) / tf.cast(tf.maximum(count, 1), kept.dtype)

    label = f"sum_of_squares({layer}"
    if border:
        label += f", border={border}" + (", divide_by=cropped" if divide_by == "cropped" else "")
    return Objective(fn, [layer], label + ")")


def l2_norm(layer):
    """L2 norm of the layer's activations (article C): its gradient points along 2·Σ x·∂x/∂p."""
    return Objective(lambda acts: tf.norm(tf.reshape(acts[layer], [-1])), [layer], f"l2({layer})",
                     area_power=0.5)


def channel(layer, index):
    """Mean activation of one channel of one layer: what that channel has learned to see."""
    return Objective(lambda acts: tf.reduce_mean(acts[layer][..., index]), [layer], f"channel({layer}, {index})")


KINDS = {"mean": mean_activation, "sum_of_squares": sum_of_squares, "l2": l2_norm}  # knobs.OBJECTIVE_KINDS


def on_channels(objective, layer, indices):
    """``objective`` with ``layer``'s activations cut down to the channels ``indices``."""
    indices = [int(i) for i in indices]

    def fn(acts):
        return objective({**acts, layer: tf.gather(acts[layer], indices, axis=-1)})

    shown = ", ".join(map(str, indices[:8])) + (", ..." if len(indices) > 8 else "")
    return Objective(fn, objective.layers, f"{objective.description}[channels {shown}]", objective.area_power)


def weighted_layers(layer_weights, kind="sum_of_squares", border=0, channels=None):
    """Weighted sum of one objective ``kind`` over several layers: {layer: weight}.

    ``channels`` ({layer: [channel indices]}) keeps only those channels of a layer.
    """
    parts = []
    for layer, weight in layer_weights.items():
        part = sum_of_squares(layer, border) if kind == "sum_of_squares" else KINDS[kind](layer)
        if channels and layer in channels:
            part = on_channels(part, layer, channels[layer])
        parts.append(float(weight) * part)
    total = sum(parts)
    total.recipe = {"layers": {layer: float(w) for layer, w in layer_weights.items()}, "objective": kind,
                    "border": border}
    return total


# ----------------------------------------------------------------------------- feature visualisation
# Objectives of a feature visualisation (dreamlib.visualize): a class's logit, the diversity of a
# batch, and regularisers that read the picture itself, the way Lucid expresses them. The picture
# (a batch in [0, 1], before any transform) is in the activations under the name INPUT.

INPUT = "input"


def class_logit(label, layer="conv_preds"):
    """The score (logit, before the softmax) of ImageNet class ``label`` (a name or an index).

    ``conv_preds`` is where Keras's MobileNet computes the 1000 class scores.
    """
    if isinstance(label, str):
        from dreamlib.models import class_index

        index, name = class_index(label), label
    else:
        index, name = int(label), str(label)
    made = channel(layer, index)  # the class's score is one channel of the class layer
    made.description = f"class_logit({name})"
    return made


def diversity(layer):
    """Minus the mean similarity of a batch's pictures at ``layer``: higher when they differ.

    Each picture's style is its Gram matrix (channel-by-channel correlations of the layer's
    activations, as in style transfer); the similarity of two pictures is the cosine between
    their Gram matrices. Added to a channel's objective, it pushes a batch to show different
    things that excite the channel (Lucid / Distill's diversity term).
    """

    def fn(acts):
        a = acts[layer]
        flat = tf.reshape(a, [tf.shape(a)[0], -1, tf.shape(a)[-1]])
        grams = tf.matmul(flat, flat, transpose_a=True)
        grams = tf.math.l2_normalize(tf.reshape(grams, [tf.shape(a)[0], -1]), axis=1)
        similarity = tf.matmul(grams, grams, transpose_b=True)  # (batch, batch), 1 on the diagonal
        n = tf.cast(tf.shape(a)[0], tf.float32)
        return -(tf.reduce_sum(similarity) - n) / tf.maximum(n * (n - 1), 1.0)

    return Objective(fn, [layer], f"diversity({layer})")


def image_total_variation(images):
    """Mean absolute difference between neighbouring pixels (down and right) of a batch."""
    down = tf.reduce_mean(tf.abs(images[:, 1:] - images[:, :-1]))
    right = tf.reduce_mean(tf.abs(images[:, :, 1:] - images[:, :, :-1]))
    return down + right


def total_variation(layer=INPUT):
    """How rough the picture is: subtract it (``- weight * total_variation()``) to smooth it."""
    return Objective(lambda acts: image_total_variation(acts[layer]), [layer], "total_variation")


def blur_difference(sigma=1.0, layer=INPUT):
    """Mean squared distance of the picture to its own blurred copy; subtract it to blur.

    The blurred copy is held fixed (no gradient flows through it), so the gradient of this
    penalty points from the picture to its blur: subtracting it smooths the picture a little
    at every step - Lucid's blur as an objective, instead of a separate blurring step.
    """
    from dreamlib.transforms import gaussian_blur

    def fn(acts):
        images = acts[layer]
        return tf.reduce_mean(tf.square(images - tf.stop_gradient(gaussian_blur(images, sigma))))

    return Objective(fn, [layer], f"blur_difference({sigma:g})")


def for_picture(objective, index):
    """``objective`` on picture ``index`` of a batch alone: one batch can draw several objectives."""

    def fn(acts):
        return objective({name: a[index:index + 1] for name, a in acts.items()})

    return Objective(fn, objective.layers, f"{objective.description} on picture {index}", objective.area_power)

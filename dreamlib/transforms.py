"""Transforms: small random changes a feature visualisation must survive (Lucid's robustness).

Before every step the picture is padded, shifted, scaled and rotated a little at random, and
the network sees the changed picture. A pattern that excites a channel only at one exact pixel
position or scale stops paying off; patterns that work wherever and however big they appear
remain. Each transform is a tiny function ``t(images, rng) -> images`` on a batch of pictures
(batch, height, width, 3) in [0, 1], with ``rng`` a ``tf.random.Generator``; a list of them
composes like Lucid's transform lists:

    robust = compose([pad(12), jitter(8), random_scale(...), random_rotate(...), jitter(4)])

They run in every step of the render loop, in TensorFlow operations between the picture and
the compiled network, and take their random choices from ``rng``: a seeded generator repeats
them exactly.
"""

import math

import keras
import tensorflow as tf


def pad(width, value=0.5):
    """Add a border of ``width`` pixels of grey ``value``: the picture's edges can move inwards."""

    def transform(images, rng):
        return tf.pad(images, [[0, 0], [width, width], [width, width], [0, 0]], constant_values=value)

    return transform


def roll(max_shift):
    """Roll the picture (wrapping around) by a random (dy, dx), each in [-max_shift, max_shift].

    Works on one picture (h, w, c) or a batch; ``max_shift`` may be a tensor (a knob).
    """
    def transform(images, rng):
        shift = rng.uniform([2], -max_shift, max_shift + 1, dtype=tf.int32)
        return tf.roll(images, shift, axis=[-3, -2])

    return transform


def jitter(shift):
    """Cut a random window ``shift`` pixels smaller on each axis: a random shift of 0..shift."""

    def transform(images, rng):
        size = tf.shape(images)
        offset = rng.uniform([2], 0, shift + 1, dtype=tf.int32)
        return tf.slice(images, [0, offset[0], offset[1], 0], [-1, size[1] - shift, size[2] - shift, -1])

    return transform


def _choose(values, rng):
    """One of ``values``, each equally likely."""
    values = tf.constant(values, tf.float32)
    return values[rng.uniform([], 0, len(values), dtype=tf.int32)]


def random_scale(scales):
    """Resize by one of ``scales`` (such as 0.9 ... 1.1), chosen at random."""

    def transform(images, rng):
        scale = _choose(scales, rng)
        size = tf.cast(tf.round(scale * tf.cast(tf.shape(images)[1:3], tf.float32)), tf.int32)
        return tf.image.resize(images, size, method="bilinear")

    return transform


def rotation_matrix(degrees, height, width):
    """The 8 numbers of ``keras.ops.image.affine_transform`` that turn a picture about its centre."""
    angle = degrees * math.pi / 180
    c, s = tf.cos(angle), tf.sin(angle)
    cx, cy = (tf.cast(width, tf.float32) - 1) / 2, (tf.cast(height, tf.float32) - 1) / 2
    # each output pixel (x, y) reads the input at R(-angle) (x - centre) + centre
    return tf.stack([c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy, 0.0, 0.0])


def random_rotate(degrees, fill=0.5):
    """Turn by one of ``degrees`` (such as -10 ... 10) about the centre; corners filled with ``fill``."""

    def transform(images, rng):
        size = tf.shape(images)
        matrix = rotation_matrix(_choose(degrees, rng), size[1], size[2])
        matrix = tf.tile(matrix[None], [size[0], 1])
        return keras.ops.image.affine_transform(images, matrix, interpolation="bilinear",
                                                fill_mode="constant", fill_value=fill)

    return transform


def crop_or_pad_to(height, width):
    """Centre-crop (or pad with grey) to ``height`` x ``width``: for networks of one input size."""

    def transform(images, rng):
        out = tf.image.resize_with_crop_or_pad(images - 0.5, height, width) + 0.5  # grey padding
        return tf.ensure_shape(out, [None, height, width, None])

    return transform


def compose(transforms):
    """One transform that applies ``transforms`` in order."""
    transforms = list(transforms)

    def transform(images, rng):
        for t in transforms:
            images = t(images, rng)
        return images

    return transform


STANDARD_SCALES = [1 + (i - 5) / 50 for i in range(11)]   # 0.9 to 1.1
STANDARD_ANGLES = list(range(-10, 11)) + 5 * [0]         # degrees; 0 weighs six times


def standard_transforms():
    """Lucid's standard list: pad 12, jitter 8, scale 0.9-1.1, rotate -10..10 degrees, jitter 4.

    The rotation list holds 0 five more times: 6 of its 26 angles are 0, so about a quarter of
    the steps (23 %) do not turn at all.
    """
    return [pad(12), jitter(8), random_scale(STANDARD_SCALES), random_rotate(STANDARD_ANGLES), jitter(4)]


def gaussian_kernel(sigma):
    """A normalised 1-D Gaussian of standard deviation ``sigma`` pixels, 3 sigma each side."""
    radius = max(1, int(math.ceil(3 * sigma)))
    t = tf.range(-radius, radius + 1, dtype=tf.float32)
    kernel = tf.exp(-0.5 * (t / sigma) ** 2)
    return kernel / tf.reduce_sum(kernel)


def gaussian_blur(images, sigma):
    """Blur a batch of pictures (or one picture) with a Gaussian of ``sigma`` pixels; edges mirrored."""
    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape.rank == 3:
        return gaussian_blur(images[None], sigma)[0]
    kernel = gaussian_kernel(sigma)
    radius = (kernel.shape[0] - 1) // 2
    padded = tf.pad(images, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    # the 2-D Gaussian is separable: one pass down the columns, one along the rows
    rows = tf.tile(tf.reshape(kernel, [-1, 1, 1, 1]), [1, 1, 3, 1])
    cols = tf.tile(tf.reshape(kernel, [1, -1, 1, 1]), [1, 1, 3, 1])
    out = tf.nn.depthwise_conv2d(padded, rows, [1, 1, 1, 1], "VALID")
    return tf.nn.depthwise_conv2d(out, cols, [1, 1, 1, 1], "VALID")

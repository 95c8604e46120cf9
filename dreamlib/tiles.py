"""Tiles: dream on images of any size with memory bounded by the tile, not the image.

The gradient of a big image is the sum of the gradients of its tiles, each computed on its own.
Seams appear where tiles meet (the network sees zero padding there), so before every step the
image is rolled by a random shift and the gradient rolled back: seams never sit in one place.

Unlike the TensorFlow tutorial (which skips the last row and column of tiles), the tiles here
cover every pixel in every step: each side is split into equal parts no longer than the tile.
"""

import math

import numpy as np
import tensorflow as tf

from dreamlib.errors import DreamlibError


def tile_edges(length, tile_size):
    """Cut points splitting ``length`` pixels into equal tiles of at most ``tile_size``."""
    if not isinstance(tile_size, (int, np.integer)) or tile_size < 1:
        raise DreamlibError(f"tile_size must be a positive whole number of pixels; got {tile_size!r}")
    count = max(1, math.ceil(length / tile_size))
    return [round(i * length / count) for i in range(count + 1)]


def tile_slices(shape, tile_size):
    """[(row slice, column slice)] of the tiles that cover an image of ``shape`` exactly once."""
    rows = tile_edges(shape[0], tile_size)
    cols = tile_edges(shape[1], tile_size)
    return [(slice(r0, r1), slice(c0, c1))
            for r0, r1 in zip(rows, rows[1:]) for c0, c1 in zip(cols, cols[1:])]


def random_shift(max_shift, rng):
    """A random (dy, dx), each in [-max_shift, max_shift]: the jitter of articles B and C."""
    if max_shift <= 0:
        return 0, 0
    dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
    return int(dy), int(dx)


def random_roll(x, max_shift, rng):
    """Roll image ``x`` by a random shift (wrapping around); returns (rolled, shift)."""
    shift = random_shift(max_shift, rng)
    return tf.roll(x, shift=shift, axis=[0, 1]), shift


def tiled_gradient(x, gradient_fn, tile_size):
    """(summed loss, full gradient) of image ``x`` computed tile by tile with ``gradient_fn``."""
    x = tf.convert_to_tensor(x, tf.float32)
    slices = tile_slices(x.shape[:2], tile_size)
    if len(slices) == 1:
        return gradient_fn(x)
    gradient = np.zeros(x.shape, np.float32)
    total = 0.0
    for rows, cols in slices:
        loss, g = gradient_fn(x[rows, cols])
        gradient[rows, cols] = g.numpy()
        total += loss
    return total, tf.constant(gradient)


def rolled_gradient(x, gradient_fn, tile_size=None, max_shift=0, rng=None):
    """Gradient of ``x`` after a random roll of up to ``max_shift`` (rolled back), tiled if asked."""
    rng = rng if rng is not None else np.random.default_rng()
    rolled, (dy, dx) = random_roll(tf.convert_to_tensor(x, tf.float32), max_shift, rng)
    if tile_size:
        loss, gradient = tiled_gradient(rolled, gradient_fn, tile_size)
    else:
        loss, gradient = gradient_fn(rolled)
    return loss, tf.roll(gradient, shift=(-dy, -dx), axis=[0, 1])


def needs_tiles(shape, tile_size):
    """True when an image of ``shape`` is bigger than one tile."""
    return bool(tile_size) and (shape[0] > tile_size or shape[1] > tile_size)

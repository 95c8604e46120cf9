"""Tiles: dream on images of any size with memory bounded by the tile, not the image.

The gradient of a big image is the sum of the gradients of its tiles, each computed on its own.
Seams appear where tiles meet (the network sees zero padding there), so before every step the
image is rolled by a random shift and the gradient rolled back: seams never sit in one place.

Unlike the TensorFlow tutorial (which skips the last row and column of tiles), the tiles here
cover every pixel in every step: each side is split into equal parts no longer than the tile.
Tile positions are computed in Python from the picture's real size, never from a static shape
inside a ``tf.function`` (which is unknown there: the tutorial's other defect, fixed by
tensorflow/docs pull request 1995).
"""

import math

import numpy as np
import tensorflow as tf

from dreamlib.errors import DreamlibError


def tile_edges(length, tile_size, multiple_of=32):
    """Cut points splitting ``length`` pixels into near-equal tiles of at most ``tile_size``.

    Inner cuts fall on multiples of ``multiple_of`` (the networks' total stride, 32) when that
    keeps every tile within ``tile_size``: a tile then sees the same pixel grid as the whole
    image, so its gradient matches the untiled one everywhere but near the seams.
    """
    if not isinstance(tile_size, (int, np.integer)) or tile_size < 1:
        raise DreamlibError(f"tile_size must be a positive whole number of pixels; got {tile_size!r}")
    count = max(1, math.ceil(length / tile_size))
    even = [round(i * length / count) for i in range(count + 1)]
    if multiple_of and multiple_of > 1:
        aligned = [0] + [round(e / multiple_of) * multiple_of for e in even[1:-1]] + [length]
        widths = [b - a for a, b in zip(aligned, aligned[1:])]
        if all(0 < w <= tile_size for w in widths):
            return aligned
    return even


def tile_slices(shape, tile_size):
    """Rows of [(row slice, column slice)] tiles that cover an image of ``shape`` exactly once."""
    rows = tile_edges(shape[0], tile_size)
    cols = tile_edges(shape[1], tile_size)
    return [(slice(r0, r1), slice(c0, c1))
            for r0, r1 in zip(rows, rows[1:]) for c0, c1 in zip(cols, cols[1:])]


def random_shift(max_shift, rng):
    """A random (dy, dx), each in [-max_shift, max_shift], both ends included.

    google/deepdream's jitter draws the same range; the TF tutorial's roll (article B) draws from
    [-max_shift, max_shift), one value fewer, which makes no difference to where seams fall.
    """
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
    if not needs_tiles(x.shape[:2], tile_size):
        tile_edges(x.shape[0], tile_size)  # still rejects a nonsense tile_size
        return gradient_fn(x)
    return rolled_tiled_gradient(x, gradient_fn, tile_size, (0, 0))


def rolled_gradient(x, gradient_fn, tile_size=None, max_shift=0, rng=None):
    """Gradient of ``x`` after a random roll of up to ``max_shift`` (rolled back), tiled if asked."""
    rng = rng if rng is not None else np.random.default_rng()
    x = tf.convert_to_tensor(x, tf.float32)
    if tile_size and needs_tiles(x.shape[:2], tile_size):
        return rolled_tiled_gradient(x, gradient_fn, tile_size, random_shift(max_shift, rng))
    rolled, (dy, dx) = random_roll(x, max_shift, rng)
    loss, gradient = gradient_fn(rolled)
    return loss, tf.roll(gradient, shift=(-dy, -dx), axis=[0, 1])


def _wrapped(start, stop, shift, length):
    """Where positions start..stop of an image rolled by ``shift`` come from: a slice if they
    do not wrap around the edge (a cheap view), else an index array."""
    first = (start - shift) % length
    if first + (stop - start) <= length:
        return slice(first, first + stop - start)
    return (np.arange(start, stop) - shift) % length


def rolled_tiled_gradient(x, gradient_fn, tile_size, shift):
    """Roll by ``shift``, tile, take gradients, roll back - without a full-size rolled copy.

    Tile (rows, cols) of the rolled image is x[(rows - dy) % H, (cols - dx) % W]: each tile is
    gathered through wrapped indices and its gradient scattered back to the same places, so the
    extra memory is one tile, not another whole image.
    """
    dy, dx = shift
    height, width = x.shape[:2]
    pixels = x.numpy()
    gradient = np.empty(pixels.shape, np.float32)
    total = 0.0
    for rows, cols in tile_slices((height, width), tile_size):
        r = _wrapped(rows.start, rows.stop, dy, height)
        c = _wrapped(cols.start, cols.stop, dx, width)
        index = np.ix_(np.arange(height)[r], np.arange(width)[c]) \
            if not (isinstance(r, slice) and isinstance(c, slice)) else (r, c)
        loss, g = gradient_fn(pixels[index])
        gradient[index] = g.numpy()
        total += loss
    return total, tf.convert_to_tensor(gradient)


def needs_tiles(shape, tile_size):
    """True when an image of ``shape`` is bigger than one tile."""
    return bool(tile_size) and (shape[0] > tile_size or shape[1] > tile_size)

"""Notebook 04's exercises: the rolled, tiled gradient with a margin (article B), and the zoom's length."""

import functools
import math
import sys

import numpy as np
import tensorflow as tf

from dreamlib.exercises.core import Implementation, Mismatch
from dreamlib.tiles import tile_windows


def _tiled_gradient(gradient, image, tile_size, margin, shift):
    """dreamlib's rolled, tiled gradient, step by step as in ``Dreamer.dream`` (tests/test_exercises_04.py
    checks that one step of ``Dreamer.dream`` moves the picture along exactly this gradient)."""
    height, width = image.shape[0], image.shape[1]
    rolled = tf.roll(image, shift=shift, axis=[0, 1])
    pieces = np.zeros([height, width, 3], np.float32)
    for (rows, cols), (window_rows, window_cols) in tile_windows((height, width), tile_size, margin):
        _, g = gradient(rolled[window_rows, window_cols])
        share = (window_rows.stop - window_rows.start) * (window_cols.stop - window_cols.start) / (height * width)
        kept = np.asarray(g)[rows.start - window_rows.start:rows.stop - window_rows.start,
                             cols.start - window_cols.start:cols.stop - window_cols.start]
        pieces[rows, cols] = kept * share
    return tf.roll(pieces, shift=(-shift[0], -shift[1]), axis=[0, 1])


@functools.lru_cache(maxsize=1)
def _tiny_gradient():
    """A small seeded convolutional network's (loss, gradient): the mean of its last layer, as in B."""
    import keras

    keras.utils.set_random_seed(4)
    net = keras.Sequential([keras.Input((None, None, 3)),
                            keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="tanh"),
                            keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")])

    @tf.function(input_signature=[tf.TensorSpec([None, None, 3], tf.float32)])
    def gradient(window):
        with tf.GradientTape() as tape:
            tape.watch(window)
            loss = tf.reduce_mean(net(window[tf.newaxis]))
        return loss, tape.gradient(loss, window)

    return gradient


def _without_dreamlibs_tiles(fn, args):
    """``fn(*args)``, refusing calls into dreamlib's own tiled gradient (tiles.tile_windows is allowed,
    so the Tripwire cannot forbid the whole module)."""
    from dreamlib import tiles

    own = {getattr(tiles, name).__code__ for name in ("tiled_gradient", "rolled_gradient", "gradient_by_tiles")
           if hasattr(tiles, name)}
    called, outer = [], sys.getprofile()

    def profile(frame, event, arg):
        if outer is not None:
            outer(frame, event, arg)
        if event == "call" and frame.f_code in own:
            called.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        result = fn(*args)
    finally:
        sys.setprofile(outer)
    if called:
        raise Mismatch(f"tiled_gradient calls dreamlib's own tiles.{called[0]}: write the method yourself")
    return result


def _tiled_inputs(rng):
    """A picture of 160-260 px per side, tiles of 32-56 px, a margin, and a roll that is never undone by itself
    (windows, a tile with its margins on the stride of 32, stay well inside the picture)."""
    height, width = (int(n) for n in rng.integers(160, 261, size=2))
    image = tf.constant(rng.uniform(-1, 1, size=(height, width, 3)), tf.float32)
    tile_size = int(rng.integers(32, 57))
    margin = int(rng.choice([8, 16, 24]))
    shift = tuple(int(rng.integers(5, n // 2 - 3)) * int(rng.choice([-1, 1])) for n in (height, width))
    return _tiny_gradient(), image, tile_size, margin, shift


def _frames_to_magnify(factor, zoom):
    """The fewest frames after which the centre is magnified at least ``factor`` times (zoom ** n >= factor)."""
    return math.ceil(math.log(factor) / math.log(zoom) - 1e-9)


def _zoom_inputs(rng):
    """A zoom of 1.01-1.3 per frame and a magnification between two whole frame counts (nearer the lower)."""
    zoom = float(rng.uniform(1.01, 1.3))
    return float(zoom ** (int(rng.integers(2, 40)) + rng.uniform(0.05, 0.45))), zoom


EXERCISES = [
    Implementation(
        id="04_ex1",
        name="tiled_gradient",
        reference=_tiled_gradient,
        inputs=_tiled_inputs,
        outputs="gradient",
        rtol=1e-4,
        hint="go through section 3's three steps again: which part of each window's gradient you keep, "
             "its size, and which way the gradient is rolled back.",
        forbidden=("dreamlib.dream", "dreamlib.ascent", "dreamlib.render"),
        run=_without_dreamlibs_tiles,
    ),
    Implementation(
        id="04_ex2",
        name="frames_to_magnify",
        reference=_frames_to_magnify,
        inputs=_zoom_inputs,
        outputs="frames",
        rtol=0,
        hint="after n frames the centre is magnified zoom ** n times: the smallest whole n that reaches factor.",
        forbidden=(),
    ),
]

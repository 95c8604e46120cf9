"""Notebook 04's exercises: the right answers pass, plausible wrong answers and cheats are rejected."""

import math

import numpy as np
import pytest
import tensorflow as tf

from dreamlib.exercises import check_exercise
from dreamlib.exercises.grading import grade
from dreamlib.tiles import tile_windows


# ----------------------------------------------------------------------------- 04_ex1: the tiled gradient

def right_tiled(gradient, image, tile_size, margin, shift):
    """The solution's code, as in solutions/04_tiling_big_images.ipynb."""
    height, width = image.shape[0], image.shape[1]
    rolled = tf.roll(image, shift=shift, axis=[0, 1])
    pieces = np.zeros([height, width, 3], np.float32)
    for (rows, cols), (window_rows, window_cols) in tile_windows((height, width), tile_size, margin):
        _, g = gradient(rolled[window_rows, window_cols])
        window_pixels = (window_rows.stop - window_rows.start) * (window_cols.stop - window_cols.start)
        top, left = rows.start - window_rows.start, cols.start - window_cols.start
        own = np.asarray(g)[top:top + rows.stop - rows.start, left:left + cols.stop - cols.start]
        pieces[rows, cols] = own * window_pixels / (height * width)
    return tf.roll(pieces, shift=(-shift[0], -shift[1]), axis=[0, 1])


def _tiled(gradient, image, tile_size, margin, shift, pairs=None, keep_window=False, scale=True,
           roll_back=-1):
    """The solution with one thing changed: each wrong answer below is one plausible slip."""
    height, width = image.shape[0], image.shape[1]
    rolled = tf.roll(image, shift=shift, axis=[0, 1])
    pieces = np.zeros([height, width, 3], np.float32)
    for (rows, cols), (window_rows, window_cols) in pairs or tile_windows((height, width), tile_size, margin):
        _, g = gradient(rolled[window_rows, window_cols])
        share = (window_rows.stop - window_rows.start) * (window_cols.stop - window_cols.start) / (height * width)
        g = np.asarray(g) * (share if scale else 1.0)
        if keep_window:
            pieces[window_rows, window_cols] = g
            continue
        top, left = rows.start - window_rows.start, cols.start - window_cols.start
        pieces[rows, cols] = g[top:top + rows.stop - rows.start, left:left + cols.stop - cols.start]
    if roll_back == 0:
        return pieces
    return tf.roll(pieces, shift=(roll_back * shift[0], roll_back * shift[1]), axis=[0, 1])


def no_margin(gradient, image, tile_size, margin, shift):
    return _tiled(gradient, image, tile_size, 0, shift)


def whole_window_kept(gradient, image, tile_size, margin, shift):
    return _tiled(gradient, image, tile_size, margin, shift, keep_window=True)


def not_rolled_back(gradient, image, tile_size, margin, shift):
    return _tiled(gradient, image, tile_size, margin, shift, roll_back=0)


def rolled_back_the_wrong_way(gradient, image, tile_size, margin, shift):
    return _tiled(gradient, image, tile_size, margin, shift, roll_back=+1)


def not_scaled(gradient, image, tile_size, margin, shift):
    return _tiled(gradient, image, tile_size, margin, shift, scale=False)


def tutorial_tiles(gradient, image, tile_size, margin, shift):
    """The TF tutorial's tiles: the last row and column of tiles skipped."""
    pairs = tile_windows(image.shape[:2], tile_size, margin)
    last_row = max(t[0].stop for t, _ in pairs)
    last_col = max(t[1].stop for t, _ in pairs)
    kept = [(t, w) for t, w in pairs if t[0].stop < last_row and t[1].stop < last_col] or pairs[:1]
    return _tiled(gradient, image, tile_size, margin, shift, pairs=kept)


def whole_gradient(gradient, image, tile_size, margin, shift):
    """No tiles at all: the untiled gradient (close to the tiled one, but not what was asked)."""
    return gradient(tf.convert_to_tensor(image))[1]


def dreamlib_tiles(gradient, image, tile_size, margin, shift):
    """A cheat: dreamlib's own tiled gradient."""
    from dreamlib.tiles import rolled_gradient

    class Fixed:
        def integers(self, low, high, size):
            return np.asarray(shift)

    return rolled_gradient(image, gradient, tile_size, max(abs(shift[0]), abs(shift[1])), Fixed(), margin)[1]


WRONG_TILED = [no_margin, whole_window_kept, not_rolled_back, rolled_back_the_wrong_way, not_scaled,
               tutorial_tiles, whole_gradient, dreamlib_tiles]


def test_04_ex1_accepts_the_solution():
    assert check_exercise("04_ex1", right_tiled) is True
    grade("04_ex1", {"tiled_gradient": right_tiled}, seed=123)


@pytest.mark.parametrize("wrong", WRONG_TILED, ids=lambda f: f.__name__)
def test_04_ex1_rejects(wrong):
    assert check_exercise("04_ex1", wrong) is False
    with pytest.raises(AssertionError):
        grade("04_ex1", {"tiled_gradient": wrong}, seed=123)


def test_04_ex1_reference_is_what_a_tiled_dream_steps_along():
    """One step of ``Dreamer.dream`` (tiles, margin, roll, seed) moves the picture along the reference's gradient."""
    from dreamlib.ascent import normalize_gradient
    from dreamlib.dream import Dreamer, DreamSettings
    from dreamlib.exercises.core import find
    from dreamlib.images import load_image
    from dreamlib.models import load_backbone
    from dreamlib.render import generator
    from dreamlib.tiles import random_shift

    reference = find("04_ex1").reference
    mobile = load_backbone("mobilenet_v2")
    dreamer = Dreamer(backbone=mobile, objective={"block_12_expand_relu": 1.0})
    photo = load_image("rocket", max_size=160)
    x = tf.constant(mobile.preprocess(photo))
    for tile, margin, jitter in [(64, 32, 64), (96, 0, 40)]:
        settings = DreamSettings(steps=1, step_size=0.03, octaves=1, normalize="std", tile_size=tile,
                                 tile_margin=margin, jitter=jitter, seed=7)
        dreamed = dreamer.dream(photo, settings, progress=False).image
        g = reference(dreamer.gradient, x, tile, margin, random_shift(jitter, generator(7)))  # the dream's roll
        stepped = tf.clip_by_value(x + 0.03 * normalize_gradient(g, "std"), -1.0, 1.0)
        np.testing.assert_allclose(np.clip(mobile.deprocess(np.asarray(stepped)), 0, 255), dreamed, atol=1e-2)
        assert np.abs(dreamed - photo).max() > 1.0


# ----------------------------------------------------------------------------- 04_ex2: frames of a zoom

def right_frames(factor, zoom):
    return math.ceil(math.log(factor) / math.log(zoom))


WRONG_FRAMES = [
    lambda factor, zoom: math.floor(math.log(factor) / math.log(zoom)),       # one frame short
    lambda factor, zoom: round(math.log(factor) / math.log(zoom)),            # rounded, not up
    lambda factor, zoom: math.ceil((factor - 1) / (zoom - 1)),                # linear growth
    lambda factor, zoom: math.ceil(math.log(zoom) / math.log(factor)),        # upside down
]


def test_04_ex2_accepts_the_solution():
    assert check_exercise("04_ex2", right_frames) is True
    grade("04_ex2", {"frames_to_magnify": right_frames}, seed=123)


@pytest.mark.parametrize("wrong", WRONG_FRAMES, ids=["floor", "round", "linear", "inverted"])
def test_04_ex2_rejects(wrong):
    assert check_exercise("04_ex2", wrong) is False
    with pytest.raises(AssertionError):
        grade("04_ex2", {"frames_to_magnify": wrong}, seed=123)

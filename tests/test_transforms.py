"""Transforms: each one's shapes, and its randomness repeated exactly under a seed."""

import numpy as np
import pytest
import tensorflow as tf

from dreamlib import transforms as T

IMAGES = tf.random.stateless_uniform([2, 40, 48, 3], seed=[1, 2])


def run(transform, seed, images=IMAGES):
    return transform(images, tf.random.Generator.from_seed(seed)).numpy()


def test_pad_adds_a_grey_border():
    out = run(T.pad(5), 0)
    assert out.shape == (2, 50, 58, 3)
    assert np.all(out[:, :5] == 0.5) and np.all(out[:, :, -5:] == 0.5)
    assert np.array_equal(out[:, 5:-5, 5:-5], IMAGES.numpy())


def test_jitter_cuts_a_window_shifted_at_random():
    outs = [run(T.jitter(8), seed) for seed in range(6)]
    assert all(out.shape == (2, 32, 40, 3) for out in outs)
    # each is a window of the original, the same one for the whole batch
    images = IMAGES.numpy()
    for out in outs:
        assert any(np.array_equal(out, images[:, dy:dy + 32, dx:dx + 40])
                   for dy in range(9) for dx in range(9))
    assert np.array_equal(outs[0], run(T.jitter(8), 0))           # a seed repeats
    assert len({out.tobytes() for out in outs}) > 3                 # seeds differ


def test_random_scale_resizes_by_one_of_the_scales():
    sizes = {run(T.random_scale([0.5, 1.0, 1.5]), seed).shape[1:3] for seed in range(12)}
    assert sizes == {(20, 24), (40, 48), (60, 72)}
    assert np.array_equal(run(T.random_scale([0.5, 1.5]), 3), run(T.random_scale([0.5, 1.5]), 3))


def test_random_rotate_turns_about_the_centre():
    square = np.full([1, 41, 41, 3], 0.0, np.float32)
    square[:, 20, 25:] = 1.0                      # a bar from the centre to the right edge
    turned = run(T.random_rotate([90]), 0, tf.constant(square))
    assert turned.shape == square.shape
    # a quarter turn moves the bar onto the vertical through the centre, one way or the other
    assert turned[0, :, 20, 0].sum() > 10 and turned[0, 20, 25:, 0].sum() < 1
    assert np.array_equal(run(T.random_rotate([0]), 0), IMAGES.numpy())
    outs = [run(T.random_rotate([-10, 0, 10]), seed) for seed in range(8)]
    assert all(out.shape == IMAGES.shape for out in outs)
    assert len({out.tobytes() for out in outs}) == 3
    # the corners that come from outside the picture are filled with grey
    assert np.allclose(run(T.random_rotate([45]), 0)[:, 0, 0], 0.5)


def test_crop_or_pad_to_a_fixed_size():
    assert run(T.crop_or_pad_to(32, 32), 0).shape == (2, 32, 32, 3)
    padded = run(T.crop_or_pad_to(50, 50), 0)
    assert padded.shape == (2, 50, 50, 3) and np.all(padded[:, :5] == 0.5)


def test_compose_applies_in_order_and_repeats_under_a_seed():
    robust = T.compose(T.standard_transforms())
    a, b, c = run(robust, 7), run(robust, 7), run(robust, 8)
    assert np.array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)
    # pad 12, jitter 8, scale 0.9-1.1, jitter 4: about the original size
    for seed in range(5):
        height, width = run(robust, seed).shape[1:3]
        assert 40 <= height <= 58 and 48 <= width <= 67
    assert np.array_equal(run(T.compose([]), 0), IMAGES.numpy())


def test_transforms_let_the_gradient_through():
    images = tf.Variable(IMAGES)
    with tf.GradientTape() as tape:
        out = T.compose(T.standard_transforms())(images, tf.random.Generator.from_seed(0))
        total = tf.reduce_sum(out)
    gradient = tape.gradient(total, images)
    assert gradient is not None and float(tf.reduce_sum(tf.abs(gradient))) > 0


def test_blur_keeps_brightness_and_removes_noise():
    kernel = T.gaussian_kernel(1.0).numpy()
    assert kernel.sum() == pytest.approx(1.0) and len(kernel) == 7
    flat = np.full((20, 20, 3), 0.3, np.float32)
    assert np.allclose(T.gaussian_blur(flat, 1.0), flat, atol=1e-6)
    blurred = T.gaussian_blur(IMAGES, 1.0).numpy()
    assert blurred.shape == IMAGES.shape
    assert np.abs(np.diff(blurred, axis=2)).mean() < 0.5 * np.abs(np.diff(IMAGES.numpy(), axis=2)).mean()


def test_the_standard_list_says_how_often_it_does_not_turn():
    zeros, total = T.STANDARD_ANGLES.count(0), len(T.STANDARD_ANGLES)
    assert (zeros, total) == (6, 26) and round(100 * zeros / total) == 23
    doc = " ".join(T.standard_transforms.__doc__.split())
    assert f"{zeros} of its {total} angles" in doc and f"({round(100 * zeros / total)} %)" in doc
    assert min(T.STANDARD_SCALES) == pytest.approx(0.9) and max(T.STANDARD_SCALES) == pytest.approx(1.1)

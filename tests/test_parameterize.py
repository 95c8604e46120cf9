"""Parameterisations: pictures made from pixels or from a decorrelated Fourier spectrum."""

import numpy as np
import pytest
import tensorflow as tf

from dreamlib.errors import DreamlibError
from dreamlib.images import load_image, resize_image
from dreamlib.parameterize import (COLOR_MIX, FourierImage, PixelImage, decorrelated_to_rgb,
                                   rgb_to_decorrelated, spectrum_frequencies)

KINDS = [PixelImage, FourierImage]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("height, width", [(32, 32), (33, 47)])  # odd sides too
def test_a_photo_makes_the_round_trip(kind, height, width):
    photo = resize_image(load_image("chelsea"), (height, width)) / 255.0
    photo = np.clip(photo, 0.01, 0.99)  # the sigmoid reaches 0 and 1 only at infinity
    image = kind(height, width, seed=0).assign_image(photo)
    back = image().numpy()
    assert back.shape == (1, height, width, 3)
    assert np.abs(back[0] - photo).max() < 1e-3


@pytest.mark.parametrize("kind", KINDS)
def test_a_batch_starts_nearly_grey_and_differs_by_seed(kind):
    a, b, c = kind(40, 40, batch=3, seed=1)(), kind(40, 40, batch=3, seed=1)(), kind(40, 40, batch=3, seed=2)()
    assert a.shape == (3, 40, 40, 3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert 0.4 < float(tf.reduce_min(a)) and float(tf.reduce_max(a)) < 0.6  # Lucid's sd 0.01: near grey
    assert not np.array_equal(a[0], a[1])  # every picture of a batch starts differently


@pytest.mark.parametrize("kind", KINDS)
def test_any_parameters_give_valid_colours(kind):
    image = kind(24, 24, seed=0)
    image.variable.assign(1000 * tf.random.normal(image.variable.shape, seed=3))
    pictures = image().numpy()
    assert pictures.min() >= 0 and pictures.max() <= 1 and np.isfinite(pictures).all()


def test_decorrelation_is_invertible_and_keeps_grey_grey():
    t = tf.random.normal([5, 3], seed=0)
    assert np.allclose(rgb_to_decorrelated(decorrelated_to_rgb(t)), t, atol=1e-5)
    # the first decorrelated direction is brightness: it moves R, G and B nearly alike
    brightness = decorrelated_to_rgb(tf.constant([[1.0, 0.0, 0.0]])).numpy()[0]
    assert brightness.min() > 0.9 * brightness.max()
    assert np.isclose(np.linalg.norm(COLOR_MIX, axis=0).max(), 1.0)


def test_fourier_steps_favour_low_frequencies():
    """The same-sized step on every parameter changes coarse patterns more than fine ones."""
    freqs = spectrum_frequencies(32, 32)
    assert freqs.shape == (32, 17) and freqs[0, 0] == 0 and np.isclose(freqs.max(), np.sqrt(0.5))
    image = FourierImage(32, 32, seed=0, decorrelate=False)
    low, high = np.zeros(image.variable.shape, np.float32), np.zeros(image.variable.shape, np.float32)
    low[0, 0, :, 1, 0] = 0.1    # one cycle per picture, vertically
    high[0, 0, :, 16, 0] = 0.1  # the finest vertical pattern
    image.variable.assign(low)
    coarse = image().numpy() - 0.5
    image.variable.assign(high)
    fine = image().numpy() - 0.5
    assert np.abs(coarse).max() > 5 * np.abs(fine).max() > 0


def test_a_picture_of_the_wrong_shape_is_explained():
    with pytest.raises(DreamlibError, match="do not fit"):
        PixelImage(32, 32).assign_image(np.zeros((16, 16, 3)))

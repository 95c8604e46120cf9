"""Feature visualisation from noise: the channel fires more, runs repeat, regularisers matter."""

import numpy as np
import pytest
import tensorflow as tf

from dreamlib import models
from dreamlib.ascent import LossGradient
from dreamlib.errors import DreamlibError
from dreamlib.objectives import channel
from dreamlib.visualize import (gaussian_blur, gaussian_kernel, noise_image, total_variation,
                                visualize, visualize_channel, with_tv_penalty)

LAYER, CHANNEL = "block_3_expand_relu", 5
FAST = dict(steps=6, step_size=0.05, size=48, progress=False)


@pytest.fixture(scope="module")
def backbone():
    import keras

    keras.utils.set_random_seed(7)  # the same random network on every run
    return models.load_backbone("mobilenet_v2", weights=None)


@pytest.fixture(scope="module")
def gradient(backbone):
    return LossGradient(backbone, channel(LAYER, CHANNEL))


def test_noise_image_is_seeded_grey_noise():
    a, b, c = noise_image(32, seed=1), noise_image(32, seed=1), noise_image(32, seed=2)
    assert a.shape == (32, 32, 3) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert 100 < a.mean() < 155 and a.min() >= 127.5 - 20 and a.max() <= 127.5 + 20


def test_blur_keeps_brightness_and_removes_noise():
    kernel = gaussian_kernel(1.0)
    assert kernel.sum() == pytest.approx(1.0) and len(kernel) == 7
    flat = np.full((20, 20, 3), 0.3, np.float32)
    assert np.allclose(gaussian_blur(flat, 1.0), flat, atol=1e-6)
    noisy = noise_image(40, seed=0) / 127.5 - 1
    blurred = gaussian_blur(noisy, 1.0)
    assert blurred.shape == noisy.shape
    assert float(total_variation(blurred)) < 0.5 * float(total_variation(noisy))
    assert np.array_equal(gaussian_blur(noisy, 0), noisy)


def test_total_variation_measures_neighbour_differences():
    assert float(total_variation(np.zeros((8, 8, 3), np.float32))) == 0.0
    stripes = np.zeros((8, 8, 3), np.float32)
    stripes[:, ::2] = 1.0  # every horizontal neighbour differs by 1, vertical ones agree
    assert float(total_variation(stripes)) == pytest.approx(1.0)


def test_tv_penalty_is_subtracted_from_loss_and_gradient():
    x = tf.constant(noise_image(16, seed=3) / 127.5 - 1)

    def zero_objective(x):
        return 1.0, tf.zeros_like(x)

    loss, g = with_tv_penalty(zero_objective, 2.0)(x)
    assert loss == pytest.approx(1.0 - 2.0 * float(total_variation(x)), rel=1e-5)
    stepped = x - 0.01 * g / tf.reduce_mean(tf.abs(g))  # moving along -g must raise the TV
    assert float(total_variation(x + 0.01 * g / tf.reduce_mean(tf.abs(g)))) < float(total_variation(stepped))
    assert with_tv_penalty(zero_objective, 0) is zero_objective


def test_the_channel_activation_rises(backbone, gradient):
    result = visualize(backbone, gradient, jitter=0, seed=0, **{**FAST, "steps": 12})
    assert result.image.shape == (48, 48, 3) and result.image.dtype == np.float32
    assert 0 <= result.image.min() and result.image.max() <= 255
    assert len(result.losses) == 12
    before, _ = gradient(backbone.preprocess(noise_image(48, seed=0)))
    after, _ = gradient(backbone.preprocess(result.image))
    assert result.losses[-1] > 2 * result.losses[0] > 0
    assert after > 2 * before


def test_same_seed_same_picture_other_seed_other_picture(backbone, gradient):
    a = visualize(backbone, gradient, jitter=4, seed=3, **FAST).image
    b = visualize(backbone, gradient, jitter=4, seed=3, **FAST).image
    c = visualize(backbone, gradient, jitter=4, seed=4, **FAST).image
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 1.0


@pytest.mark.parametrize("regulariser", [{"jitter": 6}, {"blur": 1.0, "blur_every": 2}, {"tv_weight": 5.0}])
def test_each_regulariser_changes_the_picture(backbone, gradient, regulariser):
    plain = visualize(backbone, gradient, jitter=0, seed=0, **FAST).image
    regularised = visualize(backbone, gradient, **{"jitter": 0, **regulariser}, seed=0, **FAST).image
    assert np.abs(plain - regularised).mean() > 0.5


def test_blur_and_tv_make_a_smoother_picture(backbone, gradient):
    plain = visualize(backbone, gradient, jitter=0, seed=0, **FAST).image
    blurred = visualize(backbone, gradient, jitter=0, blur=1.0, blur_every=2, seed=0, **FAST).image
    assert float(total_variation(blurred)) < float(total_variation(plain))


def test_visualize_channel_builds_its_own_objective(backbone):
    result = visualize_channel(backbone, LAYER, CHANNEL, jitter=0, seed=0, **{**FAST, "steps": 12})
    assert result.losses[-1] > result.losses[0]
    image, losses = result  # it unpacks like a pair
    assert image is result.image and losses is result.losses


@pytest.mark.parametrize("kwargs, message", [
    ({"jitter": -1}, "jitter"),
    ({"jitter": 2.5}, "jitter"),
    ({"blur": -0.5}, "blur"),
    ({"blur_every": 0}, "blur_every"),
    ({"tv_weight": -1.0}, "tv_weight"),
    ({"size": 8}, "size"),
    ({"steps": -3}, "steps"),
    ({"step_size": 0}, "step_size"),
    ({"normalize": "max"}, "normalize must be one of mean_abs"),
    ({"preview_every": 0}, "preview_every"),
])
def test_bad_parameters_are_explained(backbone, gradient, kwargs, message):
    with pytest.raises(DreamlibError, match=message):
        visualize(backbone, gradient, **{**FAST, **kwargs})


def test_bad_objectives_and_channels_are_explained(backbone):
    with pytest.raises(DreamlibError, match="Objective"):
        visualize(backbone, "block_3_expand_relu", **FAST)
    with pytest.raises(DreamlibError, match="channels"):
        visualize_channel(backbone, LAYER, 999, **FAST)
    with pytest.raises(DreamlibError, match="no layer called"):
        visualize_channel(backbone, "block_99", 0, **FAST)
    with pytest.raises(DreamlibError, match="too big"):
        gaussian_blur(np.zeros((10, 10, 3), np.float32), 5.0)


@pytest.mark.real_weights
@pytest.mark.skipif(not models.weights_available("mobilenet_v2"),
                    reason="MobileNetV2 ImageNet weights are neither cached nor bundled: reinstall dreamlib")
def test_real_mobilenet_v2_channel_comes_alive():
    real = models.load_backbone("mobilenet_v2")
    assert not real.untrained
    result = visualize_channel(real, "block_12_expand_relu", 11, steps=24, size=96, jitter=4,
                               tv_weight=2.0, seed=0, progress=False)
    assert result.losses[-1] > 2 * max(result.losses[0], 0.1)
    # a real feature visualisation has structure: far from the flat grey start
    assert result.image.std() > 25

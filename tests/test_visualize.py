"""Feature visualisation: the render loop climbs its objective, repeats under a seed, and measures."""

import numpy as np
import pytest

from dreamlib import models, objectives
from dreamlib import transforms as T
from dreamlib.errors import DreamlibError
from dreamlib.parameterize import FourierImage
from dreamlib.visualize import (high_frequency_energy, network_input_size, objective_value, visualize,
                                visualize_channel)

LAYER, CHANNEL = "block_3_expand_relu", 0  # alive on grey in this random network
FAST = dict(steps=8, size=48, progress=False)


@pytest.fixture(scope="module")
def backbone():
    import keras

    keras.utils.set_random_seed(7)  # the same random network on every run
    return models.load_backbone("mobilenet_v2", weights=None)


@pytest.fixture(scope="module")
def objective():
    return objectives.channel(LAYER, CHANNEL)


@pytest.mark.parametrize("parameterization", ["pixels", "fourier"])
@pytest.mark.parametrize("transforms", [[], None])
def test_the_channel_activation_rises(backbone, objective, parameterization, transforms):
    result = visualize(backbone, objective, parameterization, transforms, **FAST)
    assert result.images.shape == (1, 48, 48, 3) and result.images.dtype == np.float32
    assert result.image.shape == (48, 48, 3)
    assert 0 <= result.images.min() and result.images.max() <= 255
    assert len(result.losses) == 8
    before = objective_value(backbone, objective, np.full((48, 48, 3), 127.5, np.float32))
    after = objective_value(backbone, objective, result.image)
    assert after > 2 * before and after > 0 and result.losses[-1] > result.losses[0]


def test_one_objective_is_compiled_once_for_every_size_and_parameterization(backbone):
    from dreamlib.visualize import compiled_objective

    objective = objectives.channel(LAYER, 1)
    for parameterization, transforms, size in [("pixels", [], 48), ("fourier", None, 64), ("fourier", [], 40)]:
        visualize(backbone, objective, parameterization, transforms, size=size, steps=2, progress=False)
    assert compiled_objective(backbone, objective).experimental_get_tracing_count() == 1


def test_same_seed_same_picture_other_seed_other_picture(backbone, objective):
    a = visualize(backbone, objective, seed=3, **FAST).image
    b = visualize(backbone, objective, seed=3, **FAST).image
    c = visualize(backbone, objective, seed=4, **FAST).image
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 0.5


def test_transforms_change_the_picture(backbone, objective):
    plain = visualize(backbone, objective, "pixels", [], **FAST).image
    robust = visualize(backbone, objective, "pixels", [T.jitter(6)], **FAST).image
    assert np.abs(plain - robust).mean() > 0.5


@pytest.mark.parametrize("penalty", [objectives.total_variation(), objectives.blur_difference(1.0)])
def test_regularisers_are_objectives_that_smooth_the_picture(backbone, penalty):
    noisy = np.random.default_rng(0).uniform(60, 190, (48, 48, 3)).astype(np.float32)
    smoothed = visualize(backbone, -1.0 * penalty, "pixels", [], start=noisy, steps=16, size=48,
                         progress=False).image
    assert high_frequency_energy(smoothed) < 0.8 * high_frequency_energy(noisy)
    assert objective_value(backbone, penalty, smoothed) < objective_value(backbone, penalty, noisy)


def test_a_batch_with_diversity_differs_more(backbone):
    batch = dict(batch=3, steps=12, size=48, progress=False, transforms=[])
    alike = visualize(backbone, objectives.channel(LAYER, CHANNEL), **batch)
    diverse = visualize(backbone, objectives.channel(LAYER, CHANNEL) + 10.0 * objectives.diversity(LAYER),
                        **batch)
    assert alike.images.shape == diverse.images.shape == (3, 48, 48, 3)
    measure = objectives.diversity(LAYER)
    assert objective_value(backbone, measure, diverse.images) > objective_value(backbone, measure, alike.images)


def test_a_start_picture_and_a_ready_parameterization(backbone, objective):
    grey = np.full((48, 48, 3), 100.0, np.float32)
    unchanged = visualize(backbone, objective, start=grey, **{**FAST, "steps": 0})
    assert np.allclose(unchanged.image, grey, atol=0.05)
    image = FourierImage(48, 48, batch=2, seed=1)
    result = visualize(backbone, objective, image, **FAST)
    assert result.images.shape == (1 + 1, 48, 48, 3)
    assert np.allclose(result.images / 255, image().numpy())


def test_a_classifier_of_one_input_size_gets_pictures_of_that_size():
    import keras

    keras.utils.set_random_seed(1)
    classifier = models.load_backbone("mobilenet", weights=None, include_top=True)
    assert network_input_size(classifier) == (128, 128)
    result = visualize(classifier, objectives.class_logit(281), size=64, steps=4, progress=False)
    assert result.image.shape == (64, 64, 3) and len(result.losses) == 4  # the network saw 128 px


def test_visualize_channel_builds_its_own_objective(backbone):
    result = visualize_channel(backbone, LAYER, CHANNEL, **FAST)
    assert result.losses[-1] > result.losses[0]
    images, losses = result  # it unpacks like a pair
    assert images is result.images and losses is result.losses


def test_high_frequency_energy_tells_static_from_smooth():
    rng = np.random.default_rng(0)
    static = rng.uniform(0, 255, (64, 64, 3))
    y, x = np.mgrid[0:64, 0:64]
    smooth = np.stack([127 + 100 * np.sin(2 * np.pi * x / 32)] * 3, axis=-1)
    assert high_frequency_energy(static) == pytest.approx(0.8, abs=0.05)  # 1 - pi 0.25^2 of the square
    assert high_frequency_energy(smooth) < 0.01
    assert high_frequency_energy(np.full((8, 8, 3), 9.0)) == 0.0


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 8}, "size"),
    ({"batch": 0}, "batch"),
    ({"steps": -3}, "steps"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"parameterization": "wavelets"}, "parameterization must be one of pixels, fourier"),
    ({"transforms": [3]}, "transforms"),
    ({"preview_every": 0}, "preview_every"),
])
def test_bad_parameters_are_explained(backbone, objective, kwargs, message):
    with pytest.raises(DreamlibError, match=message):
        visualize(backbone, objective, **{**FAST, **kwargs})


def test_bad_objectives_and_channels_are_explained(backbone):
    with pytest.raises(DreamlibError, match="Objective"):
        visualize(backbone, "block_3_expand_relu", **FAST)
    with pytest.raises(DreamlibError, match="has 96 channels: a channel is a whole number from 0 to 95"):
        visualize_channel(backbone, LAYER, 999, **FAST)
    with pytest.raises(DreamlibError, match="no layer called"):
        visualize_channel(backbone, "block_99", 0, **FAST)
    with pytest.raises(DreamlibError, match="no layer called"):
        visualize(backbone, objectives.channel("block_99", 0), **FAST)
    too_far = objectives.channel(LAYER, 999)  # built without a network: checked where it meets one
    with pytest.raises(DreamlibError, match=f"{LAYER} has 96 channels, counted from 0"):
        visualize(backbone, too_far, **FAST)
    with pytest.raises(DreamlibError, match=f"{LAYER} has 96 channels, counted from 0"):
        objective_value(backbone, too_far, np.full((48, 48, 3), 127.5, np.float32))
    assert visualize_channel(backbone, LAYER, np.int64(2), **FAST).losses  # numpy whole numbers are channels


@pytest.mark.real_weights
@pytest.mark.skipif(not models.weights_available("mobilenet_v2"),
                    reason="MobileNetV2 ImageNet weights are neither cached nor bundled: reinstall dreamlib")
def test_real_mobilenet_v2_fourier_beats_pixels_on_static():
    real = models.load_backbone("mobilenet_v2")
    assert not real.untrained
    options = dict(steps=48, size=96, progress=False, seed=0)
    objective = objectives.channel("block_12_expand_relu", 11)
    pixels = visualize(real, objective, "pixels", [], **options)
    fourier = visualize(real, objective, "fourier", None, **options)
    assert objective_value(real, objective, fourier.image) > 2 * objective_value(
        real, objective, np.full((96, 96, 3), 127.5, np.float32))
    assert high_frequency_energy(fourier.image) < 0.5 * high_frequency_energy(pixels.image)
    assert fourier.image.std() > 20  # structure, far from the flat grey start


@pytest.mark.real_weights
@pytest.mark.skipif(not models.weights_available("mobilenet", include_top=True),
                    reason="MobileNet v1's classifier weights are neither cached nor bundled: reinstall dreamlib")
def test_real_mobilenet_v1_draws_a_tabby_it_recognises():
    classifier = models.load_backbone("mobilenet", include_top=True)
    result = visualize(classifier, objectives.class_logit("tabby"), steps=64, size=128, progress=False)
    top = [name for name, _ in models.classify(classifier, result.image, top=5)]
    assert "tabby" in top, top


def test_stop_keeps_the_pictures_made_so_far(backbone, objective, monkeypatch):
    from dreamlib import render
    from dreamlib import visualize as module

    real_steps, calls = render.Loop.steps, []

    def interrupted_in_the_fourth_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) % 4 == 0:  # Ctrl-C while the 4th chunk (the 4th step) runs
            raise KeyboardInterrupt
        return real_steps(*args, **kwargs)

    monkeypatch.setattr(render, "STOP_WITHIN_SECONDS", 0.0)  # one step per call
    monkeypatch.setattr(render.Loop, "steps", interrupted_in_the_fourth_chunk)
    with pytest.raises(module.VisualizationStopped, match="stopped at step 3 of 8") as stop:
        visualize(backbone, objective, **FAST)
    result = stop.value.result
    assert len(result.losses) == 3 and result.image.shape == (48, 48, 3) and result.interrupted
    assert isinstance(stop.value, KeyboardInterrupt)  # a loop of runs stops, too
    ran = []
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        for _ in range(3):  # a notebook's grid: Stop ends the loop, not just the current run
            ran.append(visualize(backbone, objective, **FAST))
    assert ran == []
    calls.clear()
    assert not visualize(backbone, objective, **{**FAST, "steps": 2}).interrupted  # below the count


def test_a_stop_button_ends_the_run_with_the_pictures_so_far(backbone, objective):
    result = visualize(backbone, objective, **FAST, on_step=lambda step, loss: step < 2)
    assert result.interrupted and 2 <= len(result.losses) < 8 and result.image.shape == (48, 48, 3)


@pytest.mark.parametrize("rate", [np.float32(0.05), np.float64(0.05), 1, np.int64(1)])
def test_numpy_numbers_are_learning_rates(backbone, objective, rate):
    assert len(visualize(backbone, objective, **{**FAST, "steps": 2}, learning_rate=rate).losses) == 2


@pytest.mark.parametrize("rate", [True, "0.05", float("nan"), 11])
def test_a_learning_rate_that_is_not_a_number_in_range_is_one_line(backbone, objective, rate):
    with pytest.raises(DreamlibError, match="learning_rate must be a number above 0 and at most 10"):
        visualize(backbone, objective, **FAST, learning_rate=rate)


def test_compiled_objectives_go_with_their_objectives(backbone):
    import gc
    import weakref

    from dreamlib.visualize import compiled_objective

    made = [objectives.channel(LAYER, c) for c in range(3)]
    for objective in made:
        compiled_objective(backbone, objective)
    assert compiled_objective(backbone, made[0]) is compiled_objective(backbone, made[0])
    refs = [weakref.ref(objective) for objective in made]
    del made, objective
    gc.collect()
    assert [ref() for ref in refs] == [None, None, None]


def test_objective_value_sees_a_classifier_picture_as_visualize_does():
    import keras
    import tensorflow as tf

    from dreamlib.transforms import crop_or_pad_to

    keras.utils.set_random_seed(1)
    classifier = models.load_backbone("mobilenet", weights=None, include_top=True)
    logit = objectives.class_logit(281)
    picture = np.random.default_rng(0).uniform(0, 255, (96, 160, 3)).astype(np.float32)
    seen = crop_or_pad_to(128, 128)(tf.constant(picture[None] / 255.0), None)[0].numpy() * 255.0
    assert objective_value(classifier, logit, picture) == pytest.approx(
        objective_value(classifier, logit, seen), rel=1e-4, abs=1e-4)

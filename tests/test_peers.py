"""dreamlib computes what the peers compute.

``dreamlib.peers`` writes out the TensorFlow tutorial's single-scale loop (article B) and keras.io's
DeepDream from their descriptions. On a random-weight InceptionV3 and a small picture, ``Dreamer``
configured with the same choices gives the same numbers: to float32 rounding (dreamlib's compiled
loop and keras.io's loss may sum in another order).
"""

import keras
import numpy as np
import pytest

from dreamlib import models, peers
from dreamlib.dream import Dreamer, DreamSettings
from dreamlib.images import load_image, resize_image
from dreamlib.objectives import mean_activation, sum_of_squares

# An untrained InceptionV3's deep activations are tiny (mean |g| about 1e-9), below both gradient
# floors (keras.io 1e-6, dreamlib 1e-7): keras.io's layer weights are scaled by 1e5 on both sides
# so that the comparison tests the recipe, not the floor.
KERAS_IO_LAYERS = {name: 1e5 * w for name, w in peers.KERAS_IO_LAYERS.items()}


@pytest.fixture(scope="module")
def inception():
    keras.utils.set_random_seed(0)
    return models.load_backbone("inception_v3", weights=None)


@pytest.fixture(scope="module")
def photo():
    """Whole grey levels, as the tutorial's uint8 picture has."""
    return np.round(resize_image(load_image("chelsea"), (96, 144)).clip(0, 255)).astype(np.float32)


def to_pixels(x):
    return np.clip((x + 1.0) * 127.5, 0, 255)


def test_tutorial_single_scale_loop_to_float_rounding(inception, photo):
    steps, step_size = 4, 0.01
    theirs, their_losses = peers.tutorial_simple(inception.model, photo, steps, step_size)
    dreamer = Dreamer(backbone=inception, objective=mean_activation("mixed3") + mean_activation("mixed5"))
    settings = DreamSettings(steps=steps, step_size=step_size, octaves=1, lost_detail=False, tile_size=0,
                             jitter=0, normalize="std")
    ours = dreamer.dream(photo, settings, progress=False)
    # dreamlib runs the steps inside one compiled loop, as the tutorial's later cells do; its graph
    # may sum a loss in another order: equal to float32 rounding, and the picture to 0.001 grey level
    assert np.allclose(ours.record.losses[0], their_losses, rtol=1e-6, atol=0)
    assert np.abs(ours.image - to_pixels(theirs)).max() <= 1e-3
    assert np.abs(ours.image - photo).mean() > 0.5  # the loop really moved the picture


def keras_io_matched(dreamer, grey, steps, step_size, **overrides):
    settings = DreamSettings(steps=steps, step_size=step_size, octaves=1, tile_size=0, jitter=0,
                             normalize="mean_abs")
    return dreamer.dream(grey, settings, progress=False, **overrides)


def test_keras_io_once_its_choices_are_matched(inception, photo):
    # keras.io crops 2 pixels off maps that are 17 times smaller than the picture: 160 px leaves 5.
    # It never clips: a picture in the middle grey levels keeps every pixel inside [-1, 1]. (An
    # untrained net's gradient is spiky: a few pixels move 70 times the mean, hence small steps.)
    grey = 64.0 + np.round(resize_image(photo, (160, 240)).clip(0, 255)) / 2
    steps, step_size = 3, 0.002
    theirs, their_losses = peers.keras_io_dream(inception.model, grey, KERAS_IO_LAYERS, steps, step_size,
                                                octaves=1, max_loss=None)
    assert np.abs(theirs).max() < 1.0  # so clipping every step changes nothing here
    objective = sum(w * sum_of_squares(n, border=2) for n, w in KERAS_IO_LAYERS.items())
    dreamer = Dreamer(backbone=inception, objective=objective)
    ours = keras_io_matched(dreamer, grey, steps, step_size)
    assert np.allclose(ours.record.losses[0], their_losses[0], rtol=1e-6, atol=0)
    assert np.abs(ours.image - to_pixels(theirs)).max() <= 0.05  # grey levels: float32 rounding
    assert np.abs(ours.image - grey).mean() > 0.1
    # keras.io takes the step at which the loss passes max_loss and then stops; dreamlib stops
    # before it. So keras.io's stopped picture is dreamlib's with that one more step.
    max_loss = their_losses[0][1] * 1.0001
    late, late_losses = peers.keras_io_dream(inception.model, grey, KERAS_IO_LAYERS, steps, step_size,
                                             octaves=1, max_loss=max_loss)
    early = keras_io_matched(dreamer, grey, steps, step_size, max_loss=max_loss)
    assert early.record.stopped_early == [True] and len(early.record.losses[0]) == len(late_losses[0])
    one_more = keras_io_matched(dreamer, grey, len(late_losses[0]), step_size)
    assert np.abs(one_more.image - to_pixels(late)).max() <= 0.05
    assert np.abs(early.image - to_pixels(late)).max() > 1.0

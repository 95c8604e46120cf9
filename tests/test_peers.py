"""dreamlib computes what the peers compute.

The TensorFlow tutorial's single-scale loop (article B) and keras.io's DeepDream step are written
out here from their descriptions, on a random-weight InceptionV3 and a small picture, and
compared with ``Dreamer`` configured with the same choices: the same numbers, bit for bit.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dreamlib import models
from dreamlib.dream import Dreamer, DreamSettings
from dreamlib.images import load_image, resize_image
from dreamlib.objectives import mean_activation, sum_of_squares

# keras.io's layers and weights. An untrained InceptionV3's deep activations are tiny (mean |g|
# about 1e-9), below both gradient floors (keras.io 1e-6, dreamlib 1e-7): the weights are scaled
# by 1e5 on both sides so that the comparison tests the recipe, not the floor.
KERAS_IO_LAYERS = {name: 1e5 * w for name, w in
                   {"mixed4": 1.0, "mixed5": 1.5, "mixed6": 2.0, "mixed7": 2.5}.items()}


@pytest.fixture(scope="module")
def inception():
    keras.utils.set_random_seed(0)
    return models.load_backbone("inception_v3", weights=None)


@pytest.fixture(scope="module")
def photo():
    """Whole grey levels, as the tutorial's uint8 picture has."""
    return np.round(resize_image(load_image("chelsea"), (96, 144)).clip(0, 255)).astype(np.float32)


class TutorialDeepDream(tf.Module):
    """Article B's ``DeepDream`` module: N steps in one compiled call, any image size.

    Loss: the mean of each of mixed3 and mixed5, summed; step: g / (std(g) + 1e-8) times the
    step size, added, then clipped to [-1, 1]."""

    def __init__(self, model):
        outputs = [model.get_layer(name).output for name in ("mixed3", "mixed5")]
        self.model = keras.Model(model.input, outputs)

    @tf.function(input_signature=(tf.TensorSpec([None, None, 3], tf.float32), tf.TensorSpec([], tf.float32)))
    def __call__(self, img, step_size):
        with tf.GradientTape() as tape:
            tape.watch(img)
            activations = self.model(tf.expand_dims(img, axis=0))
            loss = tf.reduce_sum([tf.math.reduce_mean(act) for act in activations])
        gradients = tape.gradient(loss, img)
        gradients /= tf.math.reduce_std(gradients) + 1e-8
        img = img + gradients * step_size
        img = tf.clip_by_value(img, -1, 1)
        return loss, img


def tutorial_simple_loop(model, picture, steps, step_size):
    """Article B's ``run_deep_dream_simple``: preprocess to [-1, 1], then the module's steps."""
    img = tf.convert_to_tensor(keras.applications.inception_v3.preprocess_input(picture.copy()))
    deepdream, losses = TutorialDeepDream(model), []
    for _ in range(steps):
        loss, img = deepdream(img, tf.constant(step_size))
        losses.append(float(loss))
    return img.numpy(), losses


def keras_io_loop(model, picture, steps, step_size, max_loss=None):
    """keras.io's ``gradient_ascent_loop`` on one octave: border-cropped sum of squares over the
    whole activation's size, g / max(mean|g|, 1e-6), no clip, the loss checked after the step."""
    features = keras.Model(model.input, {n: model.get_layer(n).output for n in KERAS_IO_LAYERS})
    img = tf.convert_to_tensor(keras.applications.inception_v3.preprocess_input(picture.copy()))[None]
    losses, smallest_mean_abs = [], np.inf
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(img)
            acts = features(img)
            loss = tf.zeros(shape=())
            for name, coeff in KERAS_IO_LAYERS.items():
                scaling = tf.reduce_prod(tf.cast(tf.shape(acts[name]), "float32"))
                loss += coeff * tf.reduce_sum(tf.square(acts[name][:, 2:-2, 2:-2, :])) / scaling
        grads = tape.gradient(loss, img)
        smallest_mean_abs = min(smallest_mean_abs, float(tf.reduce_mean(tf.abs(grads))))
        grads /= tf.maximum(tf.reduce_mean(tf.abs(grads)), 1e-6)
        img += step_size * grads
        losses.append(float(loss))
        if max_loss is not None and loss > max_loss:
            break
    return img.numpy()[0], losses, smallest_mean_abs


def to_pixels(x):
    return np.clip((x + 1.0) * 127.5, 0, 255)


def test_tutorial_single_scale_loop_bit_for_bit(inception, photo):
    steps, step_size = 4, 0.01
    theirs, their_losses = tutorial_simple_loop(inception.model, photo, steps, step_size)
    dreamer = Dreamer(backbone=inception, objective=mean_activation("mixed3") + mean_activation("mixed5"))
    settings = DreamSettings(steps=steps, step_size=step_size, octaves=1, lost_detail=False, tile_size=0,
                             jitter=0, normalize="std")
    ours = dreamer.dream(photo, settings, progress=False)
    assert ours.record.losses[0] == their_losses
    assert np.abs(ours.image - to_pixels(theirs)).max() == 0.0
    assert np.abs(ours.image - photo).mean() > 0.5  # the loop really moved the picture


def test_keras_io_step_once_its_choices_are_matched(inception, photo):
    # keras.io crops 2 pixels off maps that are 17 times smaller than the picture: 160 px leaves 5.
    # It never clips: a picture in the middle grey levels keeps every pixel inside [-1, 1].
    # (An untrained net's gradient is spiky: a few pixels move 70 times the mean, hence small steps.)
    grey = 64.0 + np.round(resize_image(photo, (160, 240)).clip(0, 255)) / 2
    steps, step_size = 3, 0.002
    theirs, their_losses, smallest = keras_io_loop(inception.model, grey, steps, step_size)
    assert np.abs(theirs).max() < 1.0 and smallest > 1e-6  # so clip and epsilon cannot differ
    objective = sum(w * sum_of_squares(n, border=2) for n, w in KERAS_IO_LAYERS.items())
    dreamer = Dreamer(backbone=inception, objective=objective)
    settings = DreamSettings(steps=steps, step_size=step_size, octaves=1, tile_size=0, jitter=0,
                             normalize="mean_abs")
    ours = dreamer.dream(grey, settings, progress=False)
    assert np.allclose(ours.record.losses[0], their_losses, rtol=1e-6, atol=0)
    assert np.abs(ours.image - to_pixels(theirs)).max() <= 1e-3
    # keras.io takes the step at which the loss passes max_loss and then stops; dreamlib stops
    # before it. So keras.io's stopped picture is dreamlib's with that one more step.
    max_loss = their_losses[1] * 1.0001
    late, late_losses, _ = keras_io_loop(inception.model, grey, steps, step_size, max_loss=max_loss)
    early = dreamer.dream(grey, settings, progress=False, max_loss=max_loss)
    assert early.record.stopped_early == [True] and len(early.record.losses[0]) == len(late_losses)
    one_more = dreamer.dream(grey, settings, progress=False, steps=len(late_losses))
    assert np.abs(one_more.image - to_pixels(late)).max() <= 1e-3
    assert np.abs(early.image - to_pixels(late)).max() > 0.01

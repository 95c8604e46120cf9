"""The peers' recipes, written out plainly, to check that dreamlib computes what they compute.

Re-expressed from their published descriptions (not copied): the TensorFlow tutorial's
single-scale loop (article B) and keras.io's DeepDream example. Both take a Keras model with a
[-1, 1] input contract (InceptionV3, MobileNet) and a float RGB picture in [0, 255]; they return
the network input (not pixels) so that results can be compared number for number.
"""

import keras
import numpy as np
import tensorflow as tf


class TutorialDeepDream(tf.Module):
    """The tutorial's ``DeepDream`` step: loss = sum over layers of the mean activation;
    g / (std(g) + 1e-8); ``img + g * step_size``; clip to [-1, 1]. Compiled once for any size."""

    def __init__(self, model, layers=("mixed3", "mixed5")):
        self.model = keras.Model(model.input, [model.get_layer(name).output for name in layers])

    @tf.function(input_signature=(tf.TensorSpec([None, None, 3], tf.float32),
                                  tf.TensorSpec([], tf.float32)))
    def __call__(self, img, step_size):
        with tf.GradientTape() as tape:
            tape.watch(img)
            activations = self.model(tf.expand_dims(img, axis=0))
            if not isinstance(activations, (list, tuple)):
                activations = [activations]
            loss = tf.reduce_sum([tf.math.reduce_mean(act) for act in activations])
        gradients = tape.gradient(loss, img)
        gradients /= tf.math.reduce_std(gradients) + 1e-8
        img = img + gradients * step_size
        return loss, tf.clip_by_value(img, -1, 1)


def tutorial_simple(model, picture, steps=100, step_size=0.01, layers=("mixed3", "mixed5")):
    """The tutorial's ``run_deep_dream_simple``: (network input, losses) after ``steps`` steps."""
    img = tf.convert_to_tensor(np.asarray(picture, np.float32) / 127.5 - 1.0)
    deepdream, losses = TutorialDeepDream(model, layers), []
    for _ in range(steps):
        loss, img = deepdream(img, tf.constant(step_size, tf.float32))
        losses.append(float(loss))
    return img.numpy(), losses


KERAS_IO_LAYERS = {"mixed4": 1.0, "mixed5": 1.5, "mixed6": 2.0, "mixed7": 2.5}


def keras_io_dream(model, picture, layer_weights=None, steps=20, step_size=0.01, octaves=3,
                   octave_scale=1.4, max_loss=15.0):
    """keras.io's DeepDream: returns (network input, losses per octave).

    Loss: sum over layers of weight * sum(act[:, 2:-2, 2:-2, :] ** 2) / (size of the whole act).
    Step: g / max(mean|g|, 1e-6), ``img += step_size * g``, never clipped; the loss (taken before
    the step) is checked against ``max_loss`` after the step. Octaves: ``int(side / scale**i)``,
    bilinear ``tf.image.resize``; the detail lost by shrinking is added after each octave's ascent.
    """
    weights = layer_weights or KERAS_IO_LAYERS
    features = keras.Model(model.input, {name: model.get_layer(name).output for name in weights})

    @tf.function
    def ascent_step(img):
        with tf.GradientTape() as tape:
            tape.watch(img)
            acts = features(img)
            loss = tf.zeros(shape=())
            for name, coeff in weights.items():
                scaling = tf.reduce_prod(tf.cast(tf.shape(acts[name]), "float32"))
                loss += coeff * tf.reduce_sum(tf.square(acts[name][:, 2:-2, 2:-2, :])) / scaling
        grads = tape.gradient(loss, img)
        grads /= tf.maximum(tf.reduce_mean(tf.abs(grads)), 1e-6)
        return loss, img + step_size * grads

    original = tf.constant(np.asarray(picture, np.float32)[None] / 127.5 - 1.0)
    shape = original.shape[1:3]
    shapes = [tuple(int(side / octave_scale ** i) for side in shape) for i in range(octaves)][::-1]
    shrunk_original = tf.image.resize(original, shapes[0])
    img, losses = tf.identity(original), []
    for octave_shape in shapes:
        img = tf.image.resize(img, octave_shape)
        octave_losses = []
        for _ in range(steps):
            loss, img = ascent_step(img)
            octave_losses.append(float(loss))
            if max_loss is not None and loss > max_loss:
                break
        losses.append(octave_losses)
        upscaled_shrunk = tf.image.resize(shrunk_original, octave_shape)
        img += tf.image.resize(original, octave_shape) - upscaled_shrunk
        shrunk_original = tf.image.resize(original, octave_shape)
    return img.numpy()[0], losses


def keras_io_pixels(x):
    """keras.io's deprocessing: back to [0, 255], clipped, then *truncated* to uint8."""
    return np.clip((x / 2.0 + 0.5) * 255.0, 0, 255).astype("uint8")

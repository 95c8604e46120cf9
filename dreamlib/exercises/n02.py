"""Notebook 02's exercises: article A's ascent step, and the inverse of its preprocessing."""

import functools

import numpy as np

from dreamlib.exercises.core import Implementation, describe_difference

# VGG's ImageNet means in BGR order, as article A subtracts them (from the RGB channels)
BGR_MEANS = np.array([103.939, 116.779, 123.68], np.float32)


@functools.lru_cache(maxsize=None)
def tiny_network():
    """A seeded two-layer ReLU network whose extractor returns {"shallow": ..., "deep": ...}."""
    import keras

    picture = keras.Input(shape=(None, None, 3))
    shallow = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="shallow",
                                  kernel_initializer=keras.initializers.GlorotUniform(seed=2),
                                  bias_initializer=keras.initializers.RandomNormal(stddev=0.1, seed=3))(picture)
    pooled = keras.layers.MaxPooling2D(2)(shallow)
    deep = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="deep",
                               kernel_initializer=keras.initializers.GlorotUniform(seed=4),
                               bias_initializer=keras.initializers.RandomNormal(stddev=0.1, seed=5))(pooled)
    return keras.Model(picture, {"shallow": shallow, "deep": deep}, name="tiny_features")


def _step_inputs(rng):
    """(model, image, layer_weights, step_size): a small picture in a random scale and two weights."""
    import tensorflow as tf

    scale = float(rng.choice([1.0, 50.0]))           # [-1, 1] inputs (MobileNet) or caffe-like pixels
    height, width = (int(n) for n in rng.integers(12, 25, size=2))
    image = tf.constant(rng.uniform(-scale, scale, (height, width, 3)), tf.float32)
    layer_weights = {"shallow": round(float(rng.uniform(0.2, 2.0)), 2),
                     "deep": round(float(rng.uniform(0.2, 2.0)), 2)}
    step_size = round(float(scale * rng.uniform(0.02, 0.2)), 4)
    return tiny_network(), image, layer_weights, step_size


def _reference_step(model, image, layer_weights, step_size):
    """dreamlib's objective and normalisation around a tape: A's loss at image, and image one step uphill."""
    import tensorflow as tf

    from dreamlib import ascent, objectives

    objective = objectives.weighted_layers(layer_weights, "sum_of_squares")
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = objective(model(image[tf.newaxis]))
    gradient = tape.gradient(loss, image)
    return loss, image + step_size * ascent.normalize_gradient(gradient, "mean_abs")


def _diagnose_step(got, want, args):
    """When the loss is right, say how the step itself (new image minus image) differs."""
    image = np.asarray(args[1], np.float64)
    try:
        got_loss, got_image = got
        got_step = np.asarray(got_image, np.float64) - image
    except (TypeError, ValueError):
        return None
    if describe_difference("loss", got_loss, want[0], 1e-4):
        return None  # the generic message about the loss says it best
    return describe_difference("the step (new image - image)", got_step,
                               np.asarray(want[1], np.float64) - image, 1e-4)


def _deprocess_inputs(rng):
    """(x,): article A's input for a random picture, made with A's own preprocessing."""
    height, width = (int(n) for n in rng.integers(4, 17, size=2))
    picture = rng.uniform(0, 255, (height, width, 3)).astype(np.float32)
    return ((picture - BGR_MEANS)[..., ::-1] / np.float32(255.0),)


def _reference_fixed_deprocess(x):
    """Article A's preprocessing undone step by step: back to RGB, x 255, the means added back."""
    return np.asarray(x)[..., ::-1] * np.float32(255.0) + BGR_MEANS


EXERCISES = [
    Implementation(
        id="02_ex1",
        name="dream_step",
        reference=_reference_step,
        inputs=_step_inputs,
        outputs=("loss", "new image"),
        rtol=1e-4,
        hint="section 5's two formulas: the loss at the image you were given, then one step of "
             "step_size along the gradient divided by max(mean |g|, 1e-7); no clipping here.",
        forbidden=("dreamlib.dream", "dreamlib.ascent", "dreamlib.objectives", "dreamlib.render"),
        diagnose=_diagnose_step,
        trials=3,
    ),
    Implementation(
        id="02_ex2",
        name="fixed_deprocess",
        reference=_reference_fixed_deprocess,
        inputs=_deprocess_inputs,
        outputs="picture",
        rtol=1e-5,
        hint="undo article_preprocess's three steps in reverse order, each with its exact inverse.",
        forbidden=("dreamlib.models",),
    ),
]

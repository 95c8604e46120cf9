"""Notebook 05's exercises: the guided objective (article C, google/deepdream) and the guide's features."""

import functools

import numpy as np
import tensorflow as tf

from dreamlib.exercises.core import Implementation


def _guided_loss(dream_features, guide_features):
    """dreamlib's guided objective on one layer's activations: sum of x_p · y_match(p), over their count."""
    from dreamlib.guided import match_guide

    matched = tf.stop_gradient(match_guide(dream_features, guide_features))
    return tf.reduce_sum(dream_features * matched) / tf.cast(tf.size(dream_features), dream_features.dtype)


def _guided_inputs(rng):
    """Non-negative activations (1, h, w, c), like a ReLU's, and guide vectors of very different lengths."""
    height, width = (int(n) for n in rng.integers(3, 9, size=2))
    channels, positions = int(rng.integers(4, 13)), int(rng.integers(6, 31))
    dream = tf.constant(rng.uniform(0, 1, (1, height, width, channels)) ** 2, tf.float32)
    lengths = rng.uniform(0.2, 3.0, (positions, 1))
    guide = tf.constant(rng.uniform(0, 1, (positions, channels)) ** 2 * lengths, tf.float32)
    return dream, guide


def _loss_and_gradient(fn, args):
    """The learner's loss and its gradient with respect to the dream's features, compiled as a dream runs it."""
    dream, guide = args

    @tf.function(autograph=False)  # traced as the dream traces it; no autograph, so the Tripwire sees the calls
    def run(dream, guide):
        with tf.GradientTape() as tape:
            tape.watch(dream)
            loss = tf.convert_to_tensor(fn(dream, guide), tf.float32)
        gradient = tape.gradient(loss, dream)
        if gradient is None:  # the loss does not depend on the features through TensorFlow
            gradient = tf.zeros_like(dream)
        return loss, gradient

    return run(dream, guide)


def _guide_vectors(backbone, picture, layer):
    """dreamlib's guide features: ``picture``'s activations at ``layer``, one row per position."""
    from dreamlib.guided import guide_features

    return guide_features(backbone, picture, layer)


@functools.lru_cache(maxsize=1)
def _mobile():
    from dreamlib.models import load_backbone

    return load_backbone("mobilenet_v2")


def _picture_inputs(rng):
    """The bundled MobileNetV2, a random picture of 48-112 px per side and one of three early layers (quick)."""
    height, width = (int(n) for n in rng.integers(48, 113, size=2))
    picture = rng.uniform(0, 255, (height, width, 3)).astype(np.float32)
    layer = str(rng.choice(["block_1_expand_relu", "block_3_expand_relu", "block_6_expand_relu"]))
    return _mobile(), picture, layer


EXERCISES = [
    Implementation(
        id="05_ex1",
        name="guided_loss",
        reference=_guided_loss,
        inputs=_guided_inputs,
        outputs=("loss", "gradient"),
        rtol=1e-4,
        hint="section 3's steps: one row per dream position, dot products with every guide vector, the best "
             "guide vector for each dream position, then the mean of the products.",
        forbidden=("dreamlib.guided", "dreamlib.dream", "dreamlib.ascent", "dreamlib.render"),
        run=_loss_and_gradient,
    ),
    Implementation(
        id="05_ex2",
        name="guide_vectors",
        reference=_guide_vectors,
        inputs=_picture_inputs,
        outputs="features",
        rtol=1e-4,
        hint="the picture goes in as the network expects it (section 1 cut ResNet50 the same way), the "
             "layer's output comes out in inference mode, and the rows are positions, the columns channels.",
        forbidden=("dreamlib.guided",),
    ),
]

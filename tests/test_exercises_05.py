"""Notebook 05's exercises: the right answers pass, plausible wrong answers and cheats are rejected."""

import numpy as np
import pytest
import tensorflow as tf

from dreamlib.exercises import check_exercise
from dreamlib.exercises.grading import grade

LAYER = "block_15_expand_relu"


# ----------------------------------------------------------------------------- 05_ex1: the guided objective

def right_guided(dream_features, guide_features):
    """The solution's code, as in solutions/05_guided_dreams.ipynb."""
    flat = tf.reshape(dream_features, [-1, dream_features.shape[-1]])   # (n, c): a row per position
    scores = tf.matmul(flat, guide_features, transpose_b=True)           # (n, m): every dot product
    best = tf.gather(guide_features, tf.argmax(scores, axis=1))          # (n, c): best guide vectors
    return tf.reduce_sum(flat * best) / tf.cast(tf.size(dream_features), tf.float32)


def _guided(dream_features, guide_features, axis=1, own=False, cosine=False, lowest=False, mean=True):
    flat = tf.reshape(dream_features, [-1, dream_features.shape[-1]])
    rows, targets = flat, guide_features
    if cosine:
        rows, targets = tf.math.l2_normalize(flat, axis=1), tf.math.l2_normalize(guide_features, axis=1)
    scores = tf.matmul(rows, targets, transpose_b=True)
    best = tf.argmin(scores, axis=axis) if lowest else tf.argmax(scores, axis=axis)
    matched = tf.stop_gradient(flat) if own else tf.gather(guide_features, best)
    total = tf.reduce_sum(flat * matched)
    return total / tf.cast(tf.size(dream_features), tf.float32) if mean else total


def argmax_over_the_wrong_axis(d, g):
    return _guided(d, g, axis=0)


def the_dreams_own_features(d, g):
    """C's text read literally: the dream's own vectors, the guide drops out (a plain L2 dream)."""
    return _guided(d, g, own=True)


def cosine_instead_of_dot_product(d, g):
    return _guided(d, g, cosine=True)


def the_worst_match(d, g):
    return _guided(d, g, lowest=True)


def a_sum_not_a_mean(d, g):
    return _guided(d, g, mean=False)


def the_guides_mean(d, g):
    """Every position pulled toward the guide's average vector: no matching."""
    flat = tf.reshape(d, [-1, d.shape[-1]])
    return tf.reduce_sum(flat * tf.reduce_mean(g, axis=0)) / tf.cast(tf.size(d), tf.float32)


def in_numpy(d, g):
    """Right numbers, but NumPy: no gradient can flow back to the pixels."""
    flat = np.asarray(d).reshape(-1, np.asarray(d).shape[-1])
    best = np.asarray(g)[np.argmax(flat @ np.asarray(g).T, axis=1)]
    return float((flat * best).sum() / flat.size)


def dreamlibs_match(d, g):
    """A cheat: dreamlib's own matching."""
    from dreamlib.guided import match_guide

    return tf.reduce_sum(d * match_guide(d, g)) / tf.cast(tf.size(d), tf.float32)


WRONG_GUIDED = [argmax_over_the_wrong_axis, the_dreams_own_features, cosine_instead_of_dot_product,
                the_worst_match, a_sum_not_a_mean, the_guides_mean, in_numpy, dreamlibs_match]


def test_05_ex1_accepts_the_solution():
    assert check_exercise("05_ex1", right_guided) is True
    grade("05_ex1", {"guided_loss": right_guided}, seed=123)


@pytest.mark.parametrize("wrong", WRONG_GUIDED, ids=lambda f: f.__name__)
def test_05_ex1_rejects(wrong):
    assert check_exercise("05_ex1", wrong) is False
    with pytest.raises(AssertionError):
        grade("05_ex1", {"guided_loss": wrong}, seed=123)


def test_05_ex1_reference_is_dreamlibs_guided_objective():
    """On real MobileNetV2 features, the reference's value is that of ``guided_objective``."""
    from dreamlib.exercises.core import find
    from dreamlib.guided import guide_features, guided_objective
    from dreamlib.images import load_image
    from dreamlib.models import load_backbone

    mobile = load_backbone("mobilenet_v2")
    guide = load_image("chelsea", max_size=160)
    layer_model = tf.keras.Model(mobile.model.input, mobile.model.get_layer(LAYER).output)
    features = layer_model(mobile.preprocess(load_image("clouds", max_size=128))[np.newaxis])
    want = float(guided_objective(mobile, guide, LAYER)({LAYER: features}))
    got = float(find("05_ex1").reference(features, tf.constant(guide_features(mobile, guide, LAYER))))
    assert got == pytest.approx(want, rel=1e-5) and want > 0


# ----------------------------------------------------------------------------- 05_ex2: the guide's features

def right_vectors(backbone, picture, layer):
    """The solution's code, as in solutions/05_guided_dreams.ipynb."""
    at_layer = tf.keras.Model(backbone.model.input, backbone.model.get_layer(layer).output)
    features = at_layer(backbone.preprocess(picture)[np.newaxis], training=False)
    return tf.reshape(features, [-1, features.shape[-1]])


def _vectors(backbone, picture, layer, preprocess=True, flatten=True, transpose=False, training=False):
    at_layer = tf.keras.Model(backbone.model.input, backbone.model.get_layer(layer).output)
    x = backbone.preprocess(picture) if preprocess else tf.constant(picture)
    features = at_layer(x[np.newaxis], training=training)
    if not flatten:
        return features
    flat = tf.reshape(features, [-1, features.shape[-1]])
    return tf.transpose(flat) if transpose else flat


def not_preprocessed(b, p, layer):
    return _vectors(b, p, layer, preprocess=False)


def not_flattened(b, p, layer):
    return _vectors(b, p, layer, flatten=False)


def channels_as_rows(b, p, layer):
    return _vectors(b, p, layer, transpose=True)


def always_the_notebooks_layer(b, p, layer):
    return _vectors(b, p, "block_15_expand_relu")


def in_training_mode(b, p, layer):
    """Batch normalisation with the picture's own statistics instead of the learned ones."""
    return _vectors(b, p, layer, training=True)


def dreamlibs_features(b, p, layer):
    """A cheat: dreamlib's own guide_features."""
    from dreamlib.guided import guide_features

    return guide_features(b, p, layer)


WRONG_VECTORS = [not_preprocessed, not_flattened, channels_as_rows, always_the_notebooks_layer,
                 in_training_mode, dreamlibs_features]


def test_05_ex2_accepts_the_solution():
    assert check_exercise("05_ex2", right_vectors) is True
    grade("05_ex2", {"guide_vectors": right_vectors}, seed=123)


@pytest.mark.parametrize("wrong", WRONG_VECTORS, ids=lambda f: f.__name__)
def test_05_ex2_rejects(wrong):
    assert check_exercise("05_ex2", wrong) is False
    with pytest.raises(AssertionError):
        grade("05_ex2", {"guide_vectors": wrong}, seed=123)

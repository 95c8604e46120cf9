"""Guided dreams (article C): grow what the network sees in a *guide* picture, not just "more".

A plain dream amplifies whatever a layer already sees. A guided dream first runs a guide image
(a kitten) through the network and keeps its features at one layer: one vector of channels per
position. Then, at every position of the dream, it picks the guide vector with the highest dot
product with the dream's own vector there, and pushes the dream toward it. The objective is

    sum over positions p of  x_p · y_match(p)        (the match held fixed)

whose gradient with respect to the layer is the matched guide features (divided by their count,
which the step's normalisation removes): google/deepdream's guided objective, which article C
follows, sets the layer's gradient to exactly these.
The matching is one matrix product (x^T·y) and an argmax per row, so it is cheap, and it works
unchanged with octaves, jitter and tiles.
"""

import numpy as np
import tensorflow as tf

from dreamlib.errors import DreamlibError
from dreamlib.images import fit_within
from dreamlib.models import feature_extractor, get_spec
from dreamlib.objectives import Objective


def match_guide(dream_features, guide_features):
    """For every dream position, the guide feature vector with the highest dot product.

    ``dream_features``: (..., height, width, channels) activations of the dream;
    ``guide_features``: (positions, channels), the guide's activations flattened.
    Returns guide vectors shaped like ``dream_features``.
    """
    channels = tf.shape(dream_features)[-1]
    flat = tf.reshape(dream_features, [-1, channels])                   # (n, c): one row per position
    scores = tf.matmul(flat, guide_features, transpose_b=True)           # (n, m): x^T·y of article C
    best = tf.argmax(scores, axis=1)                                     # best guide position per row
    return tf.reshape(tf.gather(guide_features, best), tf.shape(dream_features))


def guide_layer(backbone, layer=None):
    """The layer a guided dream matches: ``layer``, the model's own guide layer, or its deepest default layer."""
    if layer:
        return layer
    spec = get_spec(backbone.name)
    return spec.guide_layer or list(spec.default_layers)[-1]


def _layer_features(backbone, layer, image):
    """``image``'s activations at ``layer`` as a (positions, channels) array."""
    extractor = feature_extractor(backbone, [layer])
    features = extractor(backbone.preprocess(np.asarray(image, np.float32))[np.newaxis], training=False)
    features = np.asarray(features[0] if isinstance(features, (list, tuple)) else features)
    return features.reshape(-1, features.shape[-1])


def _prepared_guide(backbone, guide, max_size):
    """The guide as float RGB, shrunk to ``max_size`` and checked against the network's minimum."""
    guide = np.asarray(guide, np.float32)
    if guide.ndim != 3 or guide.shape[-1] != 3:
        raise DreamlibError(f"a guide image is (height, width, 3) RGB; got shape {guide.shape}")
    guide = fit_within(guide, max_size)
    if min(guide.shape[:2]) < backbone.spec.min_size:
        raise DreamlibError(f"the guide is {guide.shape[1]}x{guide.shape[0]} px, below {backbone.name}'s "
                            f"minimum of {backbone.spec.min_size} px: use a bigger guide picture")
    return guide


def guide_features(backbone, guide, layer=None, max_size=224):
    """The guide picture's features at ``layer`` as a (positions, channels) array.

    ``guide`` is float RGB [0, 255]; it is shrunk so its longest side is at most ``max_size``.
    """
    return _layer_features(backbone, guide_layer(backbone, layer), _prepared_guide(backbone, guide, max_size))


def guided_objective(backbone, guide, layer=None, max_size=224):
    """An ``Objective`` that pulls the dream's features at ``layer`` toward the guide's (article C)."""
    layer = guide_layer(backbone, layer)
    guide = _prepared_guide(backbone, guide, max_size)
    targets = tf.constant(_layer_features(backbone, layer, guide))

    def fn(acts):
        x = acts[layer]
        matched = tf.stop_gradient(match_guide(x, targets))  # the target is fixed; only pixels move
        return tf.reduce_sum(x * matched) / tf.cast(tf.maximum(tf.size(x), 1), x.dtype)

    height, width = guide.shape[:2]
    return Objective(fn, [layer], f"guided({layer}, guide {width}x{height}, {targets.shape[0]} features)")


def guide_similarity(backbone, image, guide, layer=None, max_size=224):
    """How much ``image`` looks like ``guide`` to the network, from -1 to 1.

    At ``layer``, every position of the image is compared with its best-matching guide feature
    by cosine similarity (direction, not size, so a louder dream does not score higher just for
    being loud); the mean over positions is returned.
    """
    layer = guide_layer(backbone, layer)
    targets = guide_features(backbone, guide, layer, max_size)
    targets = targets / np.maximum(np.linalg.norm(targets, axis=1, keepdims=True), 1e-8)
    flat = _layer_features(backbone, layer, image)
    flat = flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-8)
    return float(np.mean(np.max(flat @ targets.T, axis=1)))

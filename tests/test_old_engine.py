"""The old engine's names that notebooks still use (delete with dreamlib.old_engine)."""

import numpy as np
import tensorflow as tf

from dreamlib import old_engine
from dreamlib.ascent import LossGradient
from dreamlib.dream import Dreamer, DreamSettings
from dreamlib.tiles import random_roll
from tests.conftest import rng_image


def test_random_roll_is_undone_exactly():
    x = tf.constant(rng_image((20, 30)))
    rolled, (dy, dx) = random_roll(x, 10, np.random.default_rng(3))
    assert (dy, dx) != (0, 0)
    assert np.array_equal(tf.roll(rolled, (-dy, -dx), axis=[0, 1]).numpy(), x.numpy())


def test_tracing_count_counts_the_dream_loop(random_mobilenet_v2, cat):
    dreamer = Dreamer(objective={"block_1_expand_relu": 1.0}, backbone=random_mobilenet_v2)
    for octaves in (1, 2):
        dreamer.dream(cat, DreamSettings(steps=1, octaves=octaves, tile_size=64), progress=False)
    assert dreamer.gradient.tracing_count() == 1


def test_every_legacy_name_is_there():
    import dreamlib.tiles

    for name in old_engine.LEGACY:
        owner, _, attribute = name.rpartition(".")
        assert hasattr(LossGradient if owner else dreamlib.tiles, attribute or name), name

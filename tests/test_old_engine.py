"""The old engine's names that notebooks still use run on the render loop (delete with dreamlib.old_engine)."""

import numpy as np
import pytest
import tensorflow as tf

from dreamlib import old_engine
from dreamlib.ascent import LossGradient, gradient_ascent
from dreamlib.objectives import mean_activation, sum_of_squares
from dreamlib.tiles import rolled_gradient, tiled_gradient
from tests.conftest import rng_image


@pytest.fixture(scope="module")
def lossgrad(random_mobilenet_v2):
    return LossGradient(random_mobilenet_v2, sum_of_squares("block_1_expand_relu"))


def test_gradient_ascent_and_step_climb_and_stay_valid(lossgrad, random_mobilenet_v2):
    x = tf.constant(random_mobilenet_v2.preprocess(rng_image((48, 48))))
    out, losses, stopped = gradient_ascent(x, lossgrad, lambda x, g, s: lossgrad.step(x, g, s), 4, 0.05)
    assert not stopped and len(losses) == 4 and losses[-1] > losses[0]
    assert out.numpy().min() >= -1 and out.numpy().max() <= 1
    assert lossgrad.tracing_count() == 1


def test_tiled_and_rolled_gradients_are_the_loss_gradients(random_mobilenet_v2):
    lossgrad = LossGradient(random_mobilenet_v2, mean_activation("block_1_expand_relu"))
    x = random_mobilenet_v2.preprocess(rng_image((96, 64)))
    loss, g = tiled_gradient(x, lossgrad, 48, margin=16)
    ours = lossgrad(x, 48, 16)
    assert loss == ours[0] and np.array_equal(g.numpy(), ours[1].numpy())
    _, plain = lossgrad(x)
    assert np.array_equal(rolled_gradient(x, lossgrad, None, 0)[1].numpy(), plain.numpy())


def test_every_legacy_name_is_there():
    import dreamlib.ascent
    import dreamlib.tiles
    import dreamlib.visualize

    modules = {"gradient_ascent": dreamlib.ascent, "ascend_in_chunks": dreamlib.ascent,
               "tiled_gradient": dreamlib.tiles, "rolled_gradient": dreamlib.tiles, "random_roll": dreamlib.tiles,
               "make_step": dreamlib.visualize}
    for name in old_engine.LEGACY:
        owner, _, attribute = name.rpartition(".")
        assert hasattr(LossGradient if owner else modules[name], attribute or name), name

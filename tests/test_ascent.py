import numpy as np
import pytest
import tensorflow as tf

from dreamlib.ascent import LossGradient, normalize_gradient
from dreamlib.errors import DreamlibError
from dreamlib.objectives import sum_of_squares
from dreamlib.render import Loop, dream_knobs, dream_loop
from tests.conftest import rng_image


def test_normalisations_scale_the_gradient():
    g = tf.constant(np.random.default_rng(0).normal(3, 2, (8, 8, 3)).astype(np.float32))
    assert np.isclose(tf.reduce_mean(tf.abs(normalize_gradient(g, "mean_abs"))), 1, atol=1e-5)
    assert np.isclose(tf.math.reduce_std(normalize_gradient(g, "std")), 1, atol=1e-5)
    rms = tf.sqrt(tf.reduce_mean(tf.square(normalize_gradient(g, "l2"))))
    assert np.isclose(rms, 1, atol=1e-5)
    assert np.all(np.isfinite(normalize_gradient(tf.zeros((2, 2, 3)), "mean_abs")))


@pytest.fixture(scope="module")
def lossgrad(random_mobilenet_v2):
    return LossGradient(random_mobilenet_v2, sum_of_squares("block_1_expand_relu"))


def _loop(lossgrad, x, steps, max_loss=None, normalize="mean_abs", step_size=0.05):
    run = dream_loop(lossgrad, normalize).run(x, steps, dream_knobs(x.shape[:2], step_size, 0), max_loss=max_loss)
    return run.params, run.losses, run.stopped_early


@pytest.mark.parametrize("normalize", ["mean_abs", "std", "l2"])
def test_loss_rises_under_ascent(lossgrad, random_mobilenet_v2, normalize):
    x = random_mobilenet_v2.preprocess(rng_image((64, 64)))
    _, losses, stopped = _loop(lossgrad, x, 6, normalize=normalize)
    assert not stopped and len(losses) == 6
    assert losses[-1] > losses[0] * 1.05


def test_early_stop_past_max_loss(lossgrad, random_mobilenet_v2):
    x = random_mobilenet_v2.preprocess(rng_image((64, 64)))
    first, _ = lossgrad(x)
    _, losses, stopped = _loop(lossgrad, x, 50, max_loss=first * 1.02)
    assert stopped and len(losses) < 50 and losses[-1] > first * 1.02


def test_steps_stay_inside_valid_input(lossgrad, random_mobilenet_v2):
    x = random_mobilenet_v2.preprocess(rng_image((48, 48)))
    out, _, _ = _loop(lossgrad, x, 3, step_size=5.0)
    assert out.numpy().min() >= -1 and out.numpy().max() <= 1


def test_compiled_once_for_every_image_size(random_mobilenet_v2):
    lossgrad = LossGradient(random_mobilenet_v2, sum_of_squares("block_3_expand_relu"))
    for shape in [(40, 40), (64, 96), (100, 72), (33, 57)]:
        loss, g = lossgrad(random_mobilenet_v2.preprocess(rng_image(shape)))
        assert g.shape == (*shape, 3) and np.isfinite(loss)
    assert lossgrad.whole.experimental_get_tracing_count() == 1


def _constant_step(x, gradient, state, knobs):
    return x, state


_constant_step.start = lambda params: ()


def test_nan_loss_is_reported_with_the_right_advice():
    def broken(seen, picture, knobs):  # NaN from the start: the weights or the picture, not the step size
        return tf.constant(float("nan")), tf.zeros_like(seen), None

    with pytest.raises(DreamlibError, match="before the first step: the network's weights or the picture"):
        Loop(broken, _constant_step).run(tf.zeros((4, 4, 3)), 3, {})
    losses = tf.Variable(0.0)

    def exploding(seen, picture, knobs):  # finite, then infinite: the steps were too big
        losses.assign_add(1.0)
        return tf.where(losses < 3, losses, np.inf), tf.zeros_like(seen), None

    with pytest.raises(DreamlibError, match="at step 3: lower step_size"):
        Loop(exploding, _constant_step).run(tf.zeros((4, 4, 3)), 3, {})

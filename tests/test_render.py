"""The render loop: one optimisation loop for dreams and visualisations, its parts and its stops."""

import numpy as np
import pytest
import tensorflow as tf

from dreamlib import render
from dreamlib.render import Loop, adam, generator, normalized_step, roll


def square_gradient(target):
    """A gradient part whose loss is -sum((seen - target)^2): its maximum is ``target``."""
    def gradient(seen, picture, knobs):
        with tf.GradientTape() as tape:
            tape.watch(seen)
            loss = -tf.reduce_sum(tf.square(seen - target))
        return loss, tape.gradient(loss, seen), None

    return gradient


TARGET = tf.constant(np.random.default_rng(0).normal(size=(6, 8, 3)).astype(np.float32))


def test_adam_is_keras_adam_walking_uphill():
    import keras

    rule, params = adam(), tf.zeros_like(TARGET)
    variable, optimizer = tf.Variable(params), keras.optimizers.Adam(0.1)
    optimizer.build([variable])
    state = rule.start(params)
    for _ in range(5):
        with tf.GradientTape() as tape:
            descent = tf.reduce_sum(tf.square(variable - TARGET))  # Keras walks downhill: on -loss
        optimizer.apply_gradients([(tape.gradient(descent, variable), variable)])
        params, state = rule(params, 2 * (TARGET - params), state, {"learning_rate": 0.1})
    assert np.allclose(params.numpy(), variable.numpy(), atol=1e-6)


def test_chunks_equal_one_step_per_call_with_a_random_roll(monkeypatch):
    def loop():
        return Loop(square_gradient(TARGET), normalized_step("std"), transform=lambda p, rng, k: roll(3)(p, rng),
                    rng=generator(5))

    start, knobs = tf.zeros_like(TARGET), {"step_size": np.float32(0.1)}
    chunked = loop().run(start, 9, knobs)
    monkeypatch.setattr(render, "STOP_WITHIN_SECONDS", 0.0)  # one step per call
    one_by_one = loop().run(start, 9, knobs)
    assert chunked.losses == one_by_one.losses and len(chunked.losses) == 9
    assert np.array_equal(chunked.params.numpy(), one_by_one.params.numpy())
    assert chunked.losses[-1] > chunked.losses[0]


def test_eager_and_compiled_steps_agree():
    knobs = {"learning_rate": np.float32(0.05)}
    compiled = Loop(square_gradient(TARGET), adam()).run(tf.zeros_like(TARGET), 6, knobs)
    eager = Loop(square_gradient(TARGET), adam(), compile=False).run(tf.zeros_like(TARGET), 6, knobs)
    assert np.allclose(compiled.params.numpy(), eager.params.numpy(), atol=1e-6)
    assert np.allclose(compiled.losses, eager.losses, rtol=1e-5)


def test_a_parameterisation_is_differentiated_through():
    # parameters -> picture by a sigmoid: the step moves the parameters, the picture approaches the target
    target = tf.sigmoid(TARGET)
    loop = Loop(square_gradient(target), adam(), parameterize=tf.sigmoid)
    run = loop.run(tf.zeros_like(TARGET), 60, {"learning_rate": np.float32(0.1)})
    before = float(tf.reduce_sum(tf.square(tf.sigmoid(tf.zeros_like(TARGET)) - target)))
    assert -run.losses[-1] < 0.2 * before


@pytest.mark.parametrize("how", ["callback", "chunk callback", "ctrl-c"])
def test_every_stop_ends_the_run_with_the_result_so_far(monkeypatch, how):
    loop = Loop(square_gradient(TARGET), normalized_step(), rng=generator(0))
    monkeypatch.setattr(render, "STOP_WITHIN_SECONDS", 0.0)  # one step per call
    on_step = on_chunk = None
    if how == "callback":
        on_step = lambda step, loss: step < 3  # noqa: E731 (a Stop button pressed at step 3)
    elif how == "chunk callback":
        on_chunk = lambda params, done: done < 3  # noqa: E731
    else:
        real, calls = Loop.steps, []

        def steps(*args, **kwargs):
            calls.append(1)
            if len(calls) == 4:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        monkeypatch.setattr(Loop, "steps", steps)
    run = loop.run(tf.zeros_like(TARGET), 10, {"step_size": np.float32(0.1)}, on_step=on_step, on_chunk=on_chunk)
    assert run.interrupted and len(run.losses) == 3 and run.by_keyboard == (how == "ctrl-c")
    assert not np.array_equal(run.params.numpy(), np.zeros(TARGET.shape))  # the steps taken are kept


def test_max_loss_ends_the_run_before_its_step():
    loop = Loop(square_gradient(TARGET), normalized_step(), rng=generator(0))
    full = loop.run(tf.zeros_like(TARGET), 8, {"step_size": np.float32(0.1)})
    limit = (full.losses[2] + full.losses[3]) / 2  # the losses rise: the 4th passes it
    early = loop.run(tf.zeros_like(TARGET), 8, {"step_size": np.float32(0.1)}, max_loss=limit)
    assert early.stopped_early and not early.interrupted and early.losses == full.losses[:4]


def test_there_is_one_optimisation_loop():
    # dreams and visualisations both step on render.Loop: no other module steps a picture by itself
    from pathlib import Path

    import dreamlib

    signs = ("apply_gradients", "STOP_WITHIN_SECONDS", "tf.TensorArray(tf.float32, size=0", "perf_counter() - start <")
    stepping = sorted(path.name for path in Path(dreamlib.__file__).parent.glob("*.py")
                      if path.name != "render.py" and any(sign in path.read_text() for sign in signs))
    assert stepping == ["gan.py"], stepping  # the GAN trains networks, not pictures

"""Notebook 01's exercise checks: the solution's answers pass; plausible wrong answers and cheats do not."""

import numpy as np
import pytest
import tensorflow as tf

from dreamlib import ascent
from dreamlib.exercises import check_exercise
from dreamlib.exercises.grading import grade

GRADE_SEED = 4711


def rejected(exercise_id, name, wrong, capsys):
    """``wrong`` fails the learner's check (with a reason, no traceback) and the grader's test."""
    assert check_exercise(exercise_id, wrong) is False
    printed = capsys.readouterr().out
    assert printed.startswith("✗ Not yet:") and "Traceback" not in printed, printed
    with pytest.raises(AssertionError):
        grade(exercise_id, {name: wrong}, seed=GRADE_SEED)
    return printed


# --- exercise 1: ascent_step -----------------------------------------------------------------------

def ascent_step(model, image, channel, step_size):
    """(loss, new image): one normalised gradient-ascent step on the input, clipped to [-1, 1]."""
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = tf.reduce_mean(model(image)[..., channel])
    g = tape.gradient(loss, image)
    g = g / tf.maximum(tf.reduce_mean(tf.abs(g)), 1e-7)
    return loss, tf.clip_by_value(image + step_size * g, -1.0, 1.0)


def step_with(sign=1.0, normalize=True, clip=True, reduce=tf.reduce_mean, whole_layer=False):
    """A step with one plausible slip."""
    def ascent_step(model, image, channel, step_size):
        with tf.GradientTape() as tape:
            tape.watch(image)
            acts = model(image)
            loss = reduce(acts if whole_layer else acts[..., channel])
        g = tape.gradient(loss, image)
        if normalize:
            g = g / tf.maximum(tf.reduce_mean(tf.abs(g)), 1e-7)
        moved = image + sign * step_size * g
        return loss, tf.clip_by_value(moved, -1.0, 1.0) if clip else moved
    return ascent_step


def step_calling_dreamlib(model, image, channel, step_size):
    """Calls dreamlib's normalisation instead of writing it."""
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = tf.reduce_mean(model(image)[..., channel])
    g = ascent.normalize_gradient(tape.gradient(loss, image))
    return loss, tf.clip_by_value(image + step_size * g, -1.0, 1.0)


def step_with_numpy(model, image, channel, step_size):
    """Right numbers eagerly, but NumPy on tensors: it cannot run inside the compiled loop."""
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = tf.reduce_mean(model(image)[..., channel])
    g = tape.gradient(loss, image).numpy()
    return float(loss), np.clip(image.numpy() + step_size * g / max(np.abs(g).mean(), 1e-7), -1, 1)


def test_ascent_step_right_answer_passes(capsys):
    assert check_exercise("01_ex1", ascent_step) is True
    grade("01_ex1", {"ascent_step": ascent_step}, seed=GRADE_SEED)


@pytest.mark.parametrize("wrong, says", [
    (step_with(sign=-1.0), "down the gradient"),
    (step_with(normalize=False), "raw gradient"),
    (step_with(clip=False), "clip"),
    (step_with(reduce=tf.reduce_sum), "loss"),
    (step_with(whole_layer=True), "loss"),
    (step_calling_dreamlib, "dreamlib's own"),
    (step_with_numpy, "not inside tf.function"),
], ids=["wrong sign", "no normalisation", "no clip", "sum for mean", "whole layer", "calls dreamlib",
        "numpy"])
def test_ascent_step_wrong_answers_are_rejected(wrong, says, capsys):
    printed = rejected("01_ex1", "ascent_step", wrong, capsys)
    assert says in printed, printed


# --- exercise 2: flip --------------------------------------------------------------------------------

def flip(images, rng):
    """Mirror ``images`` (batch, height, width, 3) left to right, half of the time."""
    coin = rng.uniform([]) < 0.5
    return tf.cond(coin, lambda: images[:, :, ::-1], lambda: images)


def flip_numpy(images, rng):
    """Ignores rng: NumPy's coin, which tf.function draws once, when it traces the function."""
    return images[:, :, ::-1] if np.random.rand() < 0.5 else images


FROZEN = tf.random.Generator.from_seed(7).uniform([]) < 0.5  # drawn once, outside the loop


def flip_coin_drawn_once(images, rng):
    """The coin was drawn once, outside the loop, and is reused at every step."""
    return tf.cond(FROZEN, lambda: images[:, :, ::-1], lambda: images)


def flip_global_rng(images, rng):
    """Random at every step, but from TensorFlow's global generator: a seed does not repeat it."""
    return tf.cond(tf.random.uniform([]) < 0.5, lambda: images[:, :, ::-1], lambda: images)


def flip_upside_down(images, rng):
    return tf.cond(rng.uniform([]) < 0.5, lambda: images[:, ::-1], lambda: images)


def flip_other_half(images, rng):
    return tf.cond(rng.uniform([]) > 0.5, lambda: images[:, :, ::-1], lambda: images)


def flip_always(images, rng):
    return images[:, :, ::-1]


def test_flip_right_answer_passes(capsys):
    assert check_exercise("01_ex2", flip) is True
    grade("01_ex2", {"flip": flip}, seed=GRADE_SEED)


def test_flip_with_tf_image_passes_too(capsys):
    def flip_tf_image(images, rng):
        return tf.cond(rng.uniform([]) < 0.5, lambda: tf.image.flip_left_right(images), lambda: images)
    assert check_exercise("01_ex2", flip_tf_image) is True


@pytest.mark.parametrize("wrong, says", [
    (flip_numpy, "no coin is tossed at each call"),
    (flip_coin_drawn_once, "steps"),
    (flip_global_rng, "chose differently"),
    (flip_upside_down, "neither"),
    (flip_other_half, "opposite"),
    (flip_always, "no coin is tossed at each call"),
], ids=["np.random", "coin drawn once", "global rng", "upside down", "other half", "always"])
def test_flip_wrong_answers_are_rejected(wrong, says, capsys):
    printed = rejected("01_ex2", "flip", wrong, capsys)
    assert says in printed, printed


# --- exercise 3: which pictures were made with the Fourier image? ----------------------------------

@pytest.mark.parametrize("right", ["bd", "db", "b, d", " BD "])
def test_fourier_question_accepts_the_letters_however_written(right, capsys):
    assert check_exercise("01_ex3", right) is True
    grade("01_ex3", {"answer_3": right}, seed=GRADE_SEED)


@pytest.mark.parametrize("wrong", ["ac", "b", "abcd", "bc", "fourier"])
def test_fourier_question_rejects_other_pictures(wrong, capsys):
    rejected("01_ex3", "answer_3", wrong, capsys)


def test_unanswered_exercises_say_so(capsys):
    def ascent_step(model, image, channel, step_size):
        """(loss, new image): one normalised gradient-ascent step on ``image`` for one channel."""

    assert check_exercise("01_ex1", ascent_step) is None
    assert check_exercise("01_ex3", None) is None
    assert "Not answered yet" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="not answered"):
        grade("01_ex1", {"ascent_step": ascent_step}, seed=GRADE_SEED)

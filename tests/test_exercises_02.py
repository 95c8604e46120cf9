"""Notebook 02's exercises: the right answers pass, plausible wrong answers and cheats do not."""

import numpy as np
import pytest
import tensorflow as tf

from dreamlib.exercises import check_exercise
from dreamlib.exercises.grading import grade

BGR_MEANS = np.array([103.939, 116.779, 123.68], np.float32)


# --- exercise 1: dream_step ------------------------------------------------------------------------

def dream_step(model, image, layer_weights, step_size):
    """The solution's code: A's loss at image, and image one normalised gradient step uphill."""
    with tf.GradientTape() as tape:
        tape.watch(image)
        features = model(image[tf.newaxis])
        loss = 0.0
        for name, weight in layer_weights.items():
            a = features[name]
            loss += weight * tf.reduce_sum(tf.square(a)) / tf.cast(tf.size(a), tf.float32)
    g = tape.gradient(loss, image)
    g /= tf.maximum(tf.reduce_mean(tf.abs(g)), 1e-7)
    return loss, image + step_size * g


def _step(loss_fn, normalize, sign=1.0, loss_after=False):
    """A dream_step built from a loss and a normalisation, for the wrong answers below."""
    def step(model, image, layer_weights, step_size):
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = loss_fn(model(image[tf.newaxis]), layer_weights)
        g = tape.gradient(loss, image)
        new = image + sign * step_size * normalize(g)
        if loss_after:
            return loss_fn(model(new[tf.newaxis]), layer_weights), new
        return loss, new
    return step


def scaled_squares(features, weights):
    return sum(w * tf.reduce_sum(tf.square(features[n])) / tf.cast(tf.size(features[n]), tf.float32)
               for n, w in weights.items())


def mean_abs(g):
    return g / tf.maximum(tf.reduce_mean(tf.abs(g)), 1e-7)


WRONG_STEPS = {
    "descends (wrong sign)": _step(scaled_squares, mean_abs, sign=-1.0),
    "no normalisation": _step(scaled_squares, lambda g: g),
    "std instead of mean |g| (article B's)": _step(scaled_squares, lambda g: g / (tf.math.reduce_std(g) + 1e-8)),
    "L2 norm instead of mean |g|": _step(scaled_squares, lambda g: g / tf.norm(g)),
    "sum of squares not divided by the element count": _step(
        lambda f, w: sum(v * tf.reduce_sum(tf.square(f[n])) for n, v in w.items()), mean_abs),
    "divided by the pixel count only (no channels)": _step(
        lambda f, w: sum(v * tf.reduce_sum(tf.square(f[n])) / tf.cast(tf.shape(f[n])[1] * tf.shape(f[n])[2], tf.float32)
                         for n, v in w.items()), mean_abs),
    "layer weights ignored": _step(
        lambda f, w: sum(tf.reduce_mean(tf.square(f[n])) for n in w), mean_abs),
    "mean activation (article B's loss)": _step(
        lambda f, w: sum(v * tf.reduce_mean(f[n]) for n, v in w.items()), mean_abs),
    "loss of the new image": _step(scaled_squares, mean_abs, loss_after=True),
    "clipped to [-1, 1]": lambda m, x, w, s: (dream_step(m, x, w, s)[0],
                                              tf.clip_by_value(dream_step(m, x, w, s)[1], -1.0, 1.0)),
    "returns the gradient step only": lambda m, x, w, s: (dream_step(m, x, w, s)[0], dream_step(m, x, w, s)[1] - x),
}


def calls_dreamlib(model, image, layer_weights, step_size):
    from dreamlib import ascent, objectives

    objective = objectives.weighted_layers(layer_weights, "sum_of_squares")
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = objective(model(image[tf.newaxis]))
    return loss, image + step_size * ascent.normalize_gradient(tape.gradient(loss, image))


def test_the_solutions_step_passes_the_check_and_the_grade():
    assert check_exercise("02_ex1", dream_step) is True
    grade("02_ex1", {"dream_step": dream_step}, seed=123)
    grade("02_ex1", {"dream_step": tf.function(dream_step)}, seed=9)   # compiled, it is still the learner's


@pytest.mark.parametrize("name", list(WRONG_STEPS))
def test_a_wrong_step_is_rejected(name, capsys):
    wrong = WRONG_STEPS[name]
    assert check_exercise("02_ex1", wrong) is False, name
    assert "Not yet" in capsys.readouterr().out
    with pytest.raises(AssertionError):
        grade("02_ex1", {"dream_step": wrong}, seed=123)


def test_the_step_message_says_where_it_differs(capsys):
    check_exercise("02_ex1", WRONG_STEPS["descends (wrong sign)"])
    assert "opposite sign" in capsys.readouterr().out
    check_exercise("02_ex1", WRONG_STEPS["std instead of mean |g| (article B's)"])
    out = capsys.readouterr().out
    assert "the step" in out and "constant factor" in out
    check_exercise("02_ex1", WRONG_STEPS["sum of squares not divided by the element count"])
    assert "loss" in capsys.readouterr().out


def test_calling_dreamlibs_own_code_is_not_an_answer(capsys):
    assert check_exercise("02_ex1", calls_dreamlib) is False
    assert "dreamlib's own" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="dreamlib's own"):
        grade("02_ex1", {"dream_step": calls_dreamlib}, seed=77)


def test_an_unanswered_step_says_so(capsys):
    def stub(model, image, layer_weights, step_size):
        """A's loss at image, and image one normalised gradient step uphill."""

    assert check_exercise("02_ex1", stub) is None
    assert "Not answered yet" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="not answered"):
        grade("02_ex1", {"dream_step": stub}, seed=5)


def test_a_hard_coded_answer_fails_on_the_graders_inputs():
    from dreamlib.exercises import n02

    spec = n02.EXERCISES[0]
    seen = {}
    for seed in (0, 1):
        args = spec.inputs(np.random.default_rng(seed))
        seen[seed] = spec.reference(*args)
    shapes = {tuple(v[1].shape) for v in seen.values()}

    def remembered(model, image, layer_weights, step_size):
        return seen[0]

    with pytest.raises(AssertionError):
        grade("02_ex1", {"dream_step": remembered}, seed=31337)
    assert len(shapes) == 2   # the inputs really change from seed to seed


# --- exercise 2: fixed_deprocess -------------------------------------------------------------------

def fixed_deprocess(x):
    """The solution's code: the exact inverse of article_preprocess."""
    return x[..., ::-1] * 255.0 + BGR_MEANS


WRONG_DEPROCESS = {
    "article A's x 225 typo": lambda x: x[..., ::-1] * 225.0 + BGR_MEANS,
    "no flip back to RGB": lambda x: x * 255.0 + BGR_MEANS,
    "means added before the flip (swapped means)": lambda x: (x * 255.0 + BGR_MEANS)[..., ::-1],
    "means in RGB order": lambda x: x[..., ::-1] * 255.0 + BGR_MEANS[::-1],
    "no x 255": lambda x: x[..., ::-1] + BGR_MEANS,
    "rounded to uint8": lambda x: np.clip(x[..., ::-1] * 255.0 + BGR_MEANS, 0, 255).astype(np.uint8),
    "flips the wrong axis": lambda x: x[:, ::-1] * 255.0 + BGR_MEANS,
}


def test_the_solutions_inverse_passes():
    assert check_exercise("02_ex2", fixed_deprocess) is True
    grade("02_ex2", {"fixed_deprocess": fixed_deprocess}, seed=4242)


@pytest.mark.parametrize("name", list(WRONG_DEPROCESS))
def test_a_wrong_inverse_is_rejected(name):
    wrong = WRONG_DEPROCESS[name]
    assert check_exercise("02_ex2", wrong) is False, name
    with pytest.raises(AssertionError):
        grade("02_ex2", {"fixed_deprocess": wrong}, seed=4242)


def test_the_inverse_must_be_the_learners_own():
    from dreamlib import models

    photo = np.full((8, 8, 3), 100.0, np.float32)

    def through_dreamlib(x):
        return models.deprocess("vgg19", x * 255.0)

    def the_photo(x):
        return photo

    for wrong in (through_dreamlib, the_photo):
        assert check_exercise("02_ex2", wrong) is False
        with pytest.raises(AssertionError):
            grade("02_ex2", {"fixed_deprocess": wrong}, seed=11)

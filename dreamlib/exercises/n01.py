"""Notebook 01's exercises: the gradient-ascent step on the input, a flip transform, and a question.

``ascent_step`` is checked on tiny seeded convolutional networks (a trial takes a fraction of a
second); ``flip`` is called inside ``tf.function`` for many steps, as the render loop calls a
transform, so a coin that freezes when TensorFlow traces the function is caught.
"""

import contextlib
import functools
import logging

import numpy as np

from dreamlib.exercises.core import Implementation, Mismatch, Question

INPUT_RANGE = (-1.0, 1.0)   # MobileNet's input range: what the learner's step clips to
FLIP_STEPS = 16             # calls of the learner's flip in one compiled loop


@contextlib.contextmanager
def _quiet_retracing():
    """Each trial compiles a fresh ``tf.function`` on purpose: TensorFlow's retracing warning is noise."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


# --- exercise 1: one gradient-ascent step on the input ------------------------------------------

@functools.lru_cache(maxsize=None)
def tiny_net(index):
    """A small seeded convolutional network (any picture size): its output is a layer's activations."""
    import keras

    init = keras.initializers.GlorotUniform(seed=10 + index)
    bias = keras.initializers.RandomUniform(-0.1, 0.1, seed=20 + index)
    return keras.Sequential([
        keras.Input((None, None, 3)),
        keras.layers.Conv2D(8, 3, activation="relu", kernel_initializer=init, bias_initializer=bias),
        keras.layers.Conv2D(5 + index, 3, strides=2, activation="relu", kernel_initializer=init,
                            bias_initializer=keras.initializers.Constant(0.5)),
    ])


def _step_inputs(rng):
    import tensorflow as tf

    model = tiny_net(int(rng.integers(2)))
    batch, height, width = int(rng.integers(1, 3)), int(rng.integers(10, 17)), int(rng.integers(10, 17))
    image = tf.constant(rng.uniform(*INPUT_RANGE, (batch, height, width, 3)).astype(np.float32))
    channel = int(rng.integers(model.output_shape[-1]))
    step_size = float(rng.uniform(0.05, 0.3))
    return model, image, channel, step_size


def _reference_step(model, image, channel, step_size):
    """dreamlib's step: the channel objective's gradient, normalised by its mean |g|, then clipped."""
    import tensorflow as tf

    from dreamlib import ascent, objectives

    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = objectives.channel("layer", channel)({"layer": model(image)})
    gradient = tape.gradient(loss, image)
    moved = image + step_size * ascent.normalize_gradient(gradient, "mean_abs")
    return loss, tf.clip_by_value(moved, *INPUT_RANGE)


def _run_step(fn, args):
    """Call the step as the notebook does: once as it is, then inside ``tf.function`` (the result)."""
    import tensorflow as tf

    fn(*args)
    try:
        with _quiet_retracing():
            return tf.function(fn)(*args)
    except Exception as error:  # works eagerly, not compiled: NumPy on a traced tensor, float(tensor)...
        last = str(error).strip().splitlines()[-1].strip() if str(error).strip() else ""
        raise Mismatch(f"{fn.__name__} works when called directly but not inside tf.function "
                       f"({error.__class__.__name__}: {last}): use TensorFlow operations only") from None


def _diagnose_step(got, want, args):
    """Name the usual slips: no clip, no normalisation, the wrong sign, a sum for a mean."""
    import tensorflow as tf

    model, image, channel, step_size = args
    try:
        got_loss, got_image = (np.asarray(v, np.float64) for v in got)
    except (TypeError, ValueError):
        return None
    want_loss, want_image = (np.asarray(v, np.float64) for v in want)
    if got_loss.shape == () and want_loss != 0 and not np.isclose(got_loss, want_loss, rtol=1e-4):
        if np.isclose(got_loss, -want_loss, rtol=1e-4):
            return "loss has the opposite sign: it is the channel's mean activation"
        return ("loss differs: it is the mean activation of that one channel, over the batch and every "
                "position")
    if got_image.shape != want_image.shape:
        return None
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = tf.reduce_mean(model(image)[..., channel])
    g = tape.gradient(loss, image).numpy().astype(np.float64)
    x = image.numpy().astype(np.float64)
    unit = g / max(np.abs(g).mean(), 1e-7)
    near = lambda a, b: np.allclose(a, b, rtol=1e-4, atol=1e-5)  # noqa: E731
    if near(got_image, x + step_size * unit):
        return "new image leaves the input range: clip it to [-1, 1] after the step"
    if near(got_image, np.clip(x - step_size * unit, -1, 1)) or near(got_image, x - step_size * unit):
        return "new image moves down the gradient: ascent goes up, towards a larger activation"
    if near(got_image, np.clip(x + step_size * g, -1, 1)) or near(got_image, x + step_size * g):
        return "new image moves by the raw gradient: divide it by its mean absolute value first"
    if near(got_image, x):
        return "new image is the input unchanged: return the image after the step"
    return None


# --- exercise 2: a flip transform that works inside the compiled loop ----------------------------

def _flip_inputs(rng):
    batch, height, width = int(rng.integers(1, 4)), int(rng.integers(4, 9)), int(rng.integers(5, 10))
    return rng.uniform(0, 1, (batch, height, width, 3)).astype(np.float32), int(rng.integers(2**31))


def _reference_flip(images, rng):
    """Mirror the batch left to right when one uniform number drawn from ``rng`` is below 0.5."""
    import tensorflow as tf

    return tf.cond(rng.uniform([]) < 0.5, lambda: tf.reverse(images, axis=[2]), lambda: images)


def _run_flip(fn, args):
    """The transform's output at each of FLIP_STEPS steps of one compiled loop, with a seeded generator."""
    import tensorflow as tf

    pictures, seed = args
    generator = tf.random.Generator.from_seed(seed)

    @tf.function
    def loop(pictures):
        seen = tf.TensorArray(tf.float32, size=FLIP_STEPS)
        for step in tf.range(FLIP_STEPS):
            seen = seen.write(step, fn(pictures, generator))
        return seen.stack()

    with _quiet_retracing():
        return loop(tf.constant(pictures)).numpy()


def _diagnose_flip(got, want, args):
    """Say which steps differ, and whether the coin froze when the loop was compiled."""
    pictures = args[0]
    got = np.asarray(got)
    if got.shape != want.shape:
        return None
    mirrored = pictures[:, :, ::-1]
    kinds = ["mirrored" if np.array_equal(g, mirrored) else "unchanged" if np.array_equal(g, pictures) else None
             for g in got]
    if None in kinds:
        step = kinds.index(None) + 1
        return (f"at step {step} the pictures are neither unchanged nor mirrored left to right (the width "
                "is axis 2 of (batch, height, width, 3))")
    if len(set(kinds)) == 1:
        return (f"all {FLIP_STEPS} steps of the compiled loop were {kinds[0]}: no coin is tossed at each "
                "call (a NumPy or Python random number is drawn once, when tf.function traces your flip). "
                "Draw it from rng, with TensorFlow")
    wrong = [i + 1 for i, (g, w) in enumerate(zip(got, want)) if not np.array_equal(g, w)]
    if len(wrong) == FLIP_STEPS:
        return (f"every one of {FLIP_STEPS} steps chose the opposite of dreamlib: mirror when the number "
                "is below 0.5")
    return (f"{len(wrong)} of {FLIP_STEPS} steps of a seeded compiled loop chose differently from "
            f"dreamlib (first: step {wrong[0]}): draw exactly one rng.uniform([]) per call and "
            "mirror when it is below 0.5")


# --- exercise 3: which pictures were made with the Fourier image? -----------------------------------

def _letters(answer):
    """The letters a-d of an answer, sorted: "db", "b, d" and "BD" are all "bd"."""
    return "".join(sorted(set(str(answer).lower()) & set("abcd")))


EXERCISES = [
    Implementation(
        id="01_ex1",
        name="ascent_step",
        reference=_reference_step,
        inputs=_step_inputs,
        outputs=("loss", "new image"),
        rtol=1e-4,
        hint="section 3 writes one step: the tape, the gradient, the normalised step and the clip",
        forbidden=("dreamlib.ascent", "dreamlib.objectives", "dreamlib.dream", "dreamlib.visualize", "dreamlib.render"),
        run=_run_step,
        diagnose=_diagnose_step,
        check_seed=101,
    ),
    Implementation(
        id="01_ex2",
        name="flip",
        reference=_reference_flip,
        inputs=_flip_inputs,
        outputs="pictures",
        rtol=1e-6,
        hint="the roll of section 4 draws its shift from rng inside the compiled loop; tf.cond picks one "
             "of two tensors",
        forbidden=("dreamlib.transforms",),
        run=_run_flip,
        diagnose=_diagnose_flip,
        check_seed=102,
    ),
    Question(
        id="01_ex3",
        name="answer_3",
        sha256="5e657ff6158d3e2a6d23e2a523917a2305acee9423365e268695c4b7b8919f4c",
        normalize=_letters,
        hint="section 8 says what the Fourier image moves first, and what it leaves out",
    ),
]

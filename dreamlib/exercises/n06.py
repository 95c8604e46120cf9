"""Notebook 06's exercises: the DCGAN training step, a generator without BatchNorm, and a collapse alarm.

The training step is checked on tiny seeded networks (an 8x8 grey generator and its discriminator,
BatchNorm in both, no dropout, so the order in which the learner calls the networks does not change
any number): both losses, and how much each network's weights moved in the step.
"""

import numpy as np

from dreamlib.exercises.core import Implementation, Mismatch


def _tiny_nets(rng):
    """A seeded 8x8 grey generator (noise of 8) and discriminator, BatchNorm in both, no dropout."""
    import keras
    from keras import layers

    def init():
        return keras.initializers.GlorotUniform(seed=int(rng.integers(2**31 - 1)))

    generator = keras.Sequential([
        keras.Input((8,)),
        layers.Dense(4 * 4 * 8, activation="relu", kernel_initializer=init()),
        layers.Reshape((4, 4, 8)),
        layers.UpSampling2D(),
        layers.Conv2D(4, 3, padding="same", kernel_initializer=init()),
        layers.BatchNormalization(momentum=0.8),
        layers.Activation("relu"),
        layers.Conv2D(1, 3, padding="same", activation="tanh", kernel_initializer=init()),
    ])
    discriminator = keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(4, 3, strides=2, padding="same", kernel_initializer=init()),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(8, 3, strides=2, padding="same", kernel_initializer=init()),
        layers.BatchNormalization(momentum=0.8),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Flatten(),
        layers.Dense(1, activation="sigmoid", kernel_initializer=init()),
    ])
    return generator, discriminator


def _step_inputs(rng):
    """(generator, discriminator, g_optimizer, d_optimizer, real, noise) for one trial."""
    import keras

    generator, discriminator = _tiny_nets(rng)
    batch = int(rng.integers(4, 9))
    # the two optimizers differ, so using one for the other's network shows
    g_optimizer = keras.optimizers.Adam(float(rng.uniform(1e-3, 2e-3)), beta_1=0.5)
    d_optimizer = keras.optimizers.Adam(float(rng.uniform(3e-3, 5e-3)), beta_1=0.5)
    real = rng.uniform(-1, 1, (batch, 8, 8, 1)).astype(np.float32)
    noise = rng.standard_normal((batch, 8)).astype(np.float32)
    return generator, discriminator, g_optimizer, d_optimizer, real, noise


_WRAPPED = []  # the last DCGAN made around a pair of nets and optimizers, to reuse in a training loop


def _reference_step(generator, discriminator, g_optimizer, d_optimizer, real, noise):
    """dreamlib's step (``gan.DCGAN.train_step``) on this noise; returns (d_loss, g_loss)."""
    import tensorflow as tf

    from dreamlib import gan

    parts = (generator, discriminator, g_optimizer, d_optimizer)
    if not (_WRAPPED and all(a is b for a, b in zip(_WRAPPED[0], parts))):
        with tf.init_scope():  # its variables are made once, outside any tf.function that calls this
            model = gan.DCGAN(generator, discriminator, latent_dim=int(noise.shape[-1]))
            model.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer)
        _WRAPPED[:] = [parts, model]
    model = _WRAPPED[1]
    for metric in model.metrics:  # this step's losses, not a running mean
        metric.reset_state()
    logs = model.train_step(real, noise)
    return logs["d_loss"], logs["g_loss"]


def _run_step(fn, args):
    """Call the step; return both losses and how far each network's trainable weights moved."""
    generator, discriminator = args[0], args[1]

    def flat(model):
        return np.concatenate([np.ravel(w.numpy()) for w in model.trainable_weights])

    d_before, g_before = flat(discriminator), flat(generator)
    result = fn(*args)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Mismatch("train_step should return two values: (d_loss, g_loss)")
    d_loss, g_loss = result
    return d_loss, g_loss, flat(discriminator) - d_before, flat(generator) - g_before


def _array(value):
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value, np.float64)


def _close(got, want, rtol=1e-4):
    got, want = _array(got), _array(want)
    if got.shape != want.shape:
        return False
    return float(np.linalg.norm(got - want)) <= rtol * max(float(np.linalg.norm(want)), 1e-12)


def _diagnose_step(got, want, args):
    """Say which half of the step differs, in the learner's terms (None: the mechanism's words do)."""
    try:
        got = [_array(v) for v in got]
    except (TypeError, ValueError):
        return None
    if any(g.shape != _array(w).shape or not np.all(np.isfinite(g)) for g, w in zip(got, want)):
        return None  # a shape or a NaN: the mechanism says which
    (d_loss, g_loss, d_move, g_move), (want_d, want_g, want_d_move, want_g_move) = got, want
    if not _close(d_loss, want_d):
        if _close(d_loss, 2 * np.asarray(want_d)):
            return "d_loss is twice dreamlib's: it is the mean of the two binary cross-entropies, not their sum."
        return ("d_loss differs: the discriminator's loss is BCE(real pictures, label 1) and BCE(generated "
                "pictures, label 0), averaged, with both networks called with training=True.")
    if not np.any(np.asarray(d_move)):
        return "the discriminator's weights did not move: apply d_optimizer to the gradients of d_loss."
    if not _close(d_move, want_d_move):
        return ("d_loss is right but the discriminator's weights moved differently: take the gradients of "
                "d_loss with respect to the discriminator's trainable weights and apply them with d_optimizer.")
    if not _close(g_loss, want_g):
        return ("the discriminator's half is right; g_loss differs: after the discriminator's update, ask it "
                "again about freshly generated pictures (training=True) and use BCE with label 1.")
    if not np.any(np.asarray(g_move)):
        return ("the generator's weights did not move: the generated pictures must be made inside the "
                "generator's GradientTape, and g_optimizer applied to the generator's gradients.")
    return ("both losses are right but the generator's weights moved differently: take the gradients of "
            "g_loss with respect to the generator's trainable weights and apply them with g_optimizer.")


def _generator_inputs(rng):
    """(image_shape, latent_dim) for one trial: grey or colour pictures the shallow nets support."""
    shapes = [(28, 28, 1), (16, 16, 3), (32, 24, 1), (12, 20, 3)]
    return shapes[int(rng.integers(len(shapes)))], int(rng.choice([16, 100]))


def _reference_generator(image_shape, latent_dim=100):
    """``gan.build_generator``'s net with its BatchNormalization layers left out."""
    import keras

    from dreamlib import gan

    keep = [layer for layer in gan.build_generator(image_shape, latent_dim).layers
            if not isinstance(layer, keras.layers.BatchNormalization)]
    return keras.Sequential([keras.Input((latent_dim,)), *keep])


def _pictures(fn, image_shape, latent_dim):
    import keras

    keras.utils.set_random_seed(6)
    model = fn(image_shape, latent_dim)
    if not isinstance(model, keras.Model):
        raise Mismatch(f"generator_without_batchnorm should return a Keras model, not {type(model).__name__}")
    if any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers):
        raise Mismatch("there is still a BatchNormalization layer in the generator")
    noise = np.random.default_rng(6).standard_normal((4, latent_dim)).astype(np.float32)
    return np.asarray(model(noise, training=True))


def _run_generator(fn, args):
    """Build the net (grey and colour) with a fixed Keras seed; its pictures for fixed noise, training mode."""
    (height, width, channels), latent_dim = args
    return tuple(_pictures(fn, (height, width, c), latent_dim) for c in (channels, 4 - channels))


def _spread_inputs(rng):
    n, h, w, c = int(rng.integers(3, 9)), int(rng.integers(3, 9)), int(rng.integers(3, 9)), int(rng.choice([1, 3]))
    pictures = rng.uniform(-1, 1, (n, h, w, c)).astype(np.float32)
    pictures[1] = pictures[0]  # two identical pictures: a little collapse
    return (pictures,)


def _reference_spread(pictures):
    """The per-pixel standard deviation across the batch, averaged over all pixels."""
    return float(np.std(np.asarray(pictures, np.float64), axis=0).mean())


EXERCISES = [
    Implementation(
        id="06_ex1",
        name="train_step",
        reference=_reference_step,
        inputs=_step_inputs,
        run=_run_step,
        outputs=("d_loss", "g_loss", "the discriminator's weight change", "the generator's weight change"),
        rtol=1e-4,
        hint="section 5 writes the step out; note which optimizer moves which network, and each label.",
        forbidden=("dreamlib.gan",),
        diagnose=_diagnose_step,
    ),
    Implementation(
        id="06_ex2",
        name="generator_without_batchnorm",
        reference=_reference_generator,
        inputs=_generator_inputs,
        run=_run_generator,
        outputs=("the pictures", "the pictures with the other number of channels"),
        rtol=1e-4,
        hint="copy build_generator's layers in the same order and leave out the BatchNormalization line.",
    ),
    Implementation(
        id="06_ex3",
        name="spread",
        reference=_reference_spread,
        inputs=_spread_inputs,
        outputs="spread",
        rtol=1e-5,
        hint="NumPy's std takes an axis: which axis of (n, h, w, c) runs across the batch?",
    ),
]

"""Notebook 06's exercises: the right answers pass; plausible wrong ones fail the check and the grade."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dreamlib import gan
from dreamlib.exercises import check_exercise
from dreamlib.exercises.grading import grade

bce = keras.losses.BinaryCrossentropy()


def rejected(exercise_id, name, answer, capsys):
    """True when both the learner's check and the grader turn ``answer`` down; returns the check's words."""
    assert check_exercise(exercise_id, answer) is False
    said = capsys.readouterr().out
    with pytest.raises(AssertionError):
        grade(exercise_id, {name: answer}, seed=24680)
    return said


# --- exercise 1: the training step ------------------------------------------------------------------

def step_with(d_labels=(1.0, 0.0), g_label=1.0, training=True, both_halves_first=False, swap_optimizers=False,
              one_optimizer=False, summed=False):
    """The notebook's training step, with one mistake switched on."""

    def train_step(generator, discriminator, g_optimizer, d_optimizer, real, noise):
        if swap_optimizers:
            g_optimizer, d_optimizer = d_optimizer, g_optimizer
        if one_optimizer:
            g_optimizer = d_optimizer
        fake = generator(noise, training=training)
        with tf.GradientTape() as tape:
            p_real = discriminator(real, training=training)
            p_fake = discriminator(fake, training=training)
            loss_real = bce(tf.fill(tf.shape(p_real), d_labels[0]), p_real)
            loss_fake = bce(tf.fill(tf.shape(p_fake), d_labels[1]), p_fake)
            d_loss = loss_real + loss_fake if summed else 0.5 * (loss_real + loss_fake)
        if both_halves_first:  # the generator's loss from the discriminator *before* its update
            with tf.GradientTape() as g_tape:
                p_fooled = discriminator(generator(noise, training=training), training=training)
                g_loss = bce(tf.fill(tf.shape(p_fooled), g_label), p_fooled)
        weights = discriminator.trainable_weights
        d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
        if not both_halves_first:
            with tf.GradientTape() as g_tape:
                p_fooled = discriminator(generator(noise, training=training), training=training)
                g_loss = bce(tf.fill(tf.shape(p_fooled), g_label), p_fooled)
        weights = generator.trainable_weights
        g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, weights), weights))
        return d_loss, g_loss

    return train_step


def right_step(generator, discriminator, g_optimizer, d_optimizer, real, noise):
    """The solution's code, as in the notebook."""
    fake = generator(noise, training=True)
    with tf.GradientTape() as tape:
        p_real = discriminator(real, training=True)
        p_fake = discriminator(fake, training=True)
        d_loss = 0.5 * (bce(tf.ones_like(p_real), p_real) + bce(tf.zeros_like(p_fake), p_fake))
    grads = tape.gradient(d_loss, discriminator.trainable_weights)
    d_optimizer.apply_gradients(zip(grads, discriminator.trainable_weights))

    with tf.GradientTape() as tape:
        p_fooled = discriminator(generator(noise, training=True), training=True)
        g_loss = bce(tf.ones_like(p_fooled), p_fooled)
    grads = tape.gradient(g_loss, generator.trainable_weights)
    g_optimizer.apply_gradients(zip(grads, generator.trainable_weights))
    return d_loss, g_loss


def dreamlibs_own_step(generator, discriminator, g_optimizer, d_optimizer, real, noise):
    model = gan.DCGAN(generator, discriminator, latent_dim=noise.shape[1])
    model.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer)
    logs = model.train_step(real, noise)
    return logs["d_loss"], logs["g_loss"]


def test_the_right_step_passes_and_a_stub_is_unanswered(capsys):
    assert check_exercise("06_ex1", right_step) is True
    grade("06_ex1", {"train_step": right_step}, seed=13579)

    def stub(generator, discriminator, g_optimizer, d_optimizer, real, noise):
        """One DCGAN training step: returns (d_loss, g_loss)."""
        # YOUR ANSWER HERE

    assert check_exercise("06_ex1", stub) is None


@pytest.mark.parametrize("wrong, says", [
    (step_with(d_labels=(0.0, 1.0)), "d_loss differs"),                 # real and fake labels swapped
    (step_with(g_label=0.0), "g_loss differs"),                         # generator trained toward "fake"
    (step_with(training=False), "d_loss differs"),                      # forgot training=True (BatchNorm)
    (step_with(both_halves_first=True), "g_loss differs"),              # G's loss from D before its update
    (step_with(swap_optimizers=True), "moved differently"),             # each net moved by the other's Adam
    (step_with(one_optimizer=True), "train_step raised"),               # one optimizer for both nets
    (step_with(summed=True), "twice"),                                  # sum of the two BCEs, not the mean
    (dreamlibs_own_step, "dreamlib's own"),                             # calls the library's step
], ids=["labels swapped", "G toward label 0", "training=False", "G before D's update", "optimizers swapped",
        "one optimizer", "summed", "dreamlib's step"])
def test_wrong_steps_are_rejected(wrong, says, capsys):
    assert says in rejected("06_ex1", "train_step", wrong, capsys)


# --- exercise 2: a generator without BatchNorm -----------------------------------------------------

def right_generator(image_shape, latent_dim=gan.LATENT_DIM):
    """The solution's code, as in the notebook."""
    from keras import layers

    arch = gan.architecture(image_shape)
    height, width, filters = arch.start
    model = keras.Sequential(name="generator_without_batchnorm")
    model.add(keras.Input((latent_dim,)))
    model.add(layers.Dense(height * width * filters, activation="relu"))
    model.add(layers.Reshape((height, width, filters)))
    for filters in arch.generator_filters:
        model.add(layers.UpSampling2D())
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
    model.add(layers.Conv2D(image_shape[2], 3, padding="same", activation="tanh"))
    return model


def generator_with(kept_batchnorm=False, transposed=False, output="tanh", channels=None):
    def generator_without_batchnorm(image_shape, latent_dim=gan.LATENT_DIM):
        from keras import layers

        arch = gan.architecture(image_shape)
        height, width, filters = arch.start
        model = keras.Sequential([keras.Input((latent_dim,)),
                                  layers.Dense(height * width * filters, activation="relu"),
                                  layers.Reshape((height, width, filters))])
        for filters in arch.generator_filters:
            if transposed:
                model.add(layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu"))
            else:
                model.add(layers.UpSampling2D())
                model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
            if kept_batchnorm:
                model.add(layers.BatchNormalization())
        model.add(layers.Conv2D(channels or image_shape[2], 3, padding="same", activation=output))
        return model

    return generator_without_batchnorm


def test_the_right_generator_passes(capsys):
    assert check_exercise("06_ex2", right_generator) is True
    grade("06_ex2", {"generator_without_batchnorm": right_generator}, seed=97531)
    assert check_exercise("06_ex2", generator_with()) is True  # the same net written as a list


@pytest.mark.parametrize("wrong, says", [
    (generator_with(kept_batchnorm=True), "BatchNormalization"),
    (generator_with(transposed=True), "pictures"),        # strided transposed convolutions
    (generator_with(output="sigmoid"), "pictures"),       # pictures in [0, 1], not tanh's [-1, 1]
    (generator_with(channels=1), "shape"),                # always grey
    (lambda image_shape, latent_dim=100: gan.build_generator(image_shape, latent_dim), "BatchNormalization"),
], ids=["kept BatchNorm", "transposed", "sigmoid", "grey", "dreamlib's generator"])
def test_wrong_generators_are_rejected(wrong, says, capsys):
    assert says in rejected("06_ex2", "generator_without_batchnorm", wrong, capsys)


# --- exercise 3: the spread of a batch ------------------------------------------------------------

def right_spread(pictures):
    """The solution's code, as in the notebook."""
    return float(np.std(np.asarray(pictures, np.float32), axis=0).mean())


def test_the_right_spread_passes():
    assert check_exercise("06_ex3", right_spread) is True
    grade("06_ex3", {"spread": right_spread}, seed=11111)


@pytest.mark.parametrize("wrong", [
    lambda pictures: float(np.std(pictures)),                      # over every number, not across the batch
    lambda pictures: float(np.std(pictures, axis=-1).mean()),      # across the channels
    lambda pictures: float(np.var(pictures, axis=0).mean()),       # the variance
    lambda pictures: float(np.std(pictures, axis=0, ddof=1).mean()),  # the sample standard deviation
    lambda pictures: float(np.std(pictures.mean(axis=0))),         # the spread of the mean picture
], ids=["all axes", "channels", "variance", "ddof=1", "mean picture"])
def test_wrong_spreads_are_rejected(wrong, capsys):
    rejected("06_ex3", "spread", wrong, capsys)

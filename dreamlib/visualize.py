"""Feature visualisation: start from noise and change the pixels until one channel fires.

This is activation maximisation, the basic principle under DeepDream (article A's intro, and
Lucid / Distill's "Feature Visualization"). Plain gradient ascent from noise finds high-frequency
patterns that excite the channel but look like static to us; *regularisers* steer it towards
pictures a person can read:

- ``jitter``: roll the image by a random shift before every gradient, roll the gradient back
  (Lucid's transformation robustness): a pattern only survives if it works wherever it sits.
- ``blur``: smooth the image with a Gaussian every few steps, damping the high frequencies
  that the gradient keeps adding.
- ``tv_weight``: subtract a total-variation penalty from the objective, so neighbouring
  pixels are pushed to agree.

The pieces are small functions that compose, like Lucid's: an *objective* (``objectives``),
*transforms* (``random_roll`` from ``tiles``, ``gaussian_blur``), a *penalty*
(``total_variation``) and a *render* loop (``visualize``, built on ``ascent``).
"""

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from dreamlib import knobs
from dreamlib.ascent import _IMAGE, LossGradient, gradient_ascent
from dreamlib.errors import DreamlibError
from dreamlib.objectives import Objective, channel
from dreamlib.tiles import rolled_gradient



class Visualization(NamedTuple):
    """The picture (float RGB in [0, 255]) and the objective's value before every step."""

    image: np.ndarray
    losses: list


def noise_image(size, seed=None, spread=20.0):
    """A grey square of ``size`` pixels with uniform noise of +/- ``spread`` levels: the start."""
    if not isinstance(size, (int, np.integer)) or not 16 <= size <= 4096:
        raise DreamlibError(f"size must be a whole number of pixels from 16 to 4096; got {size!r}")
    if not isinstance(spread, (int, float)) or not 0 <= spread <= 127.5:
        raise DreamlibError(f"spread must be from 0 to 127.5 grey levels; got {spread!r}")
    rng = np.random.default_rng(seed)
    noise = rng.uniform(-spread, spread, size=(size, size, 3))
    return (127.5 + noise).astype(np.float32)


def gaussian_kernel(sigma):
    """A normalised 1-D Gaussian of standard deviation ``sigma`` pixels, 3 sigma each side."""
    if not isinstance(sigma, (int, float)) or not sigma > 0:
        raise DreamlibError(f"blur sigma must be a positive number of pixels; got {sigma!r}")
    radius = max(1, int(np.ceil(3 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float32)
    kernel = np.exp(-0.5 * (t / sigma) ** 2)
    return kernel / kernel.sum()


def gaussian_blur(x, sigma):
    """Blur an image (H, W, 3) channel by channel with a Gaussian; edges are mirrored."""
    if sigma == 0:
        return tf.convert_to_tensor(x, tf.float32)
    kernel = gaussian_kernel(sigma)
    radius = len(kernel) // 2
    x = tf.convert_to_tensor(x, tf.float32)
    if radius >= min(x.shape[0], x.shape[1]):
        raise DreamlibError(f"blur sigma {sigma} is too big for a {x.shape[0]}x{x.shape[1]} image: "
                            f"use a sigma below {min(x.shape[:2]) / 3:.1f}")
    padded = tf.pad(x[tf.newaxis], [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    # The 2-D Gaussian is separable: one pass along rows, one along columns.
    rows = tf.constant(np.tile(kernel[:, None, None, None], (1, 1, 3, 1)))
    cols = tf.constant(np.tile(kernel[None, :, None, None], (1, 1, 3, 1)))
    out = tf.nn.depthwise_conv2d(padded, rows, [1, 1, 1, 1], "VALID")
    out = tf.nn.depthwise_conv2d(out, cols, [1, 1, 1, 1], "VALID")
    return out[0]


def total_variation(x):
    """Mean absolute difference between neighbouring pixels (down and right): how noisy ``x`` is."""
    x = tf.convert_to_tensor(x, tf.float32)
    down = tf.reduce_mean(tf.abs(x[1:, :, :] - x[:-1, :, :]))
    right = tf.reduce_mean(tf.abs(x[:, 1:, :] - x[:, :-1, :]))
    return down + right


def _tv_and_gradient(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        tv = total_variation(x)
    return tv, tape.gradient(tv, x)


_tv_and_gradient = tf.function(_tv_and_gradient, input_signature=[_IMAGE])


def with_tv_penalty(gradient_fn, tv_weight):
    """``gradient_fn`` for the objective minus ``tv_weight`` times the total variation of the image."""
    if not tv_weight:
        return gradient_fn

    def penalised(x):
        loss, gradient = gradient_fn(x)
        tv, tv_gradient = _tv_and_gradient(tf.convert_to_tensor(x, tf.float32))
        return loss - tv_weight * float(tv), gradient - tv_weight * tv_gradient

    return penalised


def check_regularisers(jitter, blur, blur_every, tv_weight):
    """One clear error for each nonsense regulariser value."""
    if not isinstance(jitter, (int, np.integer)) or jitter < 0:
        raise DreamlibError(f"jitter must be a whole number of pixels >= 0 (8 is typical); got {jitter!r}")
    if not isinstance(blur, (int, float)) or not 0 <= blur <= 20:
        raise DreamlibError(f"blur must be a Gaussian sigma from 0 (off) to 20 pixels (0.5 to 1 is typical); got {blur!r}")
    if not isinstance(blur_every, (int, np.integer)) or blur_every < 1:
        raise DreamlibError(f"blur_every must be a whole number of steps >= 1; got {blur_every!r}")
    if not isinstance(tv_weight, (int, float)) or not tv_weight >= 0:
        raise DreamlibError(f"tv_weight must be a number >= 0 (0 = off); got {tv_weight!r}")


def check_visualize(backbone, objective, steps, step_size, normalize, jitter, blur, blur_every, tv_weight,
                    preview_every):
    """Every argument of ``visualize`` checked (one clear line each); returns the ``LossGradient``."""
    knobs.check({"steps": steps, "step_size": step_size, "normalize": normalize})
    check_regularisers(jitter, blur, blur_every, tv_weight)
    if not isinstance(preview_every, (int, np.integer)) or preview_every < 1:
        raise DreamlibError(f"preview_every must be a whole number of steps >= 1; got {preview_every!r}")
    if isinstance(objective, LossGradient):
        return objective
    if isinstance(objective, Objective):
        return LossGradient(backbone, objective)
    raise DreamlibError("objective must be an Objective (e.g. objectives.channel(layer, 3)) or a LossGradient")


def start_picture(backbone, start, size, rng):
    """``start`` as float RGB, or grey noise of ``size`` px; one clear line when it is too small."""
    if start is None:
        start = noise_image(size, seed=rng.integers(2**31))
    start = np.asarray(start, np.float32)
    if start.ndim != 3 or start.shape[-1] != 3 or min(start.shape[:2]) < backbone.spec.min_size:
        raise DreamlibError(f"the start picture must be (height, width, 3) and at least "
                            f"{backbone.spec.min_size} px a side; got shape {start.shape}")
    return start


def visualize(backbone, objective, steps=64, step_size=0.05, size=128, jitter=8, blur=0.0,
              blur_every=4, tv_weight=0.0, seed=0, normalize="mean_abs", start=None,
              progress=True, preview=None, preview_every=16):
    """Maximise ``objective`` (an ``Objective`` or a ready ``LossGradient``) starting from noise.

    ``jitter`` is the largest random roll in pixels, ``blur`` the sigma of the Gaussian applied
    to the image every ``blur_every`` steps, ``tv_weight`` the weight of the total-variation
    penalty (0 turns each off). ``seed`` fixes the start noise and the rolls. ``start`` replaces
    the noise with a picture of your own. ``preview`` (a ``LivePreview``) is updated every
    ``preview_every`` steps. Returns a ``Visualization`` (image, losses).
    """
    from tqdm.auto import tqdm

    gradient = check_visualize(backbone, objective, steps, step_size, normalize, jitter, blur, blur_every,
                               tv_weight, preview_every)
    rng = np.random.default_rng(seed)
    start = start_picture(backbone, start, size, rng)

    def gradient_fn(x):
        return rolled_gradient(x, gradient, None, jitter, rng)

    gradient_fn = with_tv_penalty(gradient_fn, tv_weight)
    done = [0]

    def step_fn(x, g, step_size):
        x = gradient.step(x, g, step_size, normalize)
        done[0] += 1
        if blur and done[0] % blur_every == 0:
            x = gaussian_blur(x, blur)
        return x

    x = tf.constant(backbone.preprocess(start), tf.float32)
    losses = []
    title = getattr(gradient.objective, "description", "objective")
    with tqdm(total=steps, desc=title, disable=not progress, leave=True) as bar:
        while len(losses) < steps:
            chunk = min(preview_every, steps - len(losses))
            x, chunk_losses, _ = gradient_ascent(x, gradient_fn, step_fn, chunk, step_size, None, bar)
            losses.extend(chunk_losses)
            if preview is not None:
                preview.update(backbone.to_pixels(x), f"{title}: step {len(losses)}/{steps}")
    return Visualization(backbone.to_pixels(x), losses)


def visualize_channel(backbone, layer, channel_index, steps=64, step_size=0.05, size=128, jitter=8,
                      blur=0.0, blur_every=4, tv_weight=0.0, seed=0, normalize="mean_abs",
                      progress=True, preview=None, preview_every=16):
    """The picture that most excites channel ``channel_index`` of ``layer``; see ``visualize``."""
    return visualize(backbone, channel(layer, channel_index), steps=steps, step_size=step_size,
                     size=size, jitter=jitter, blur=blur, blur_every=blur_every, tv_weight=tv_weight,
                     seed=seed, normalize=normalize, progress=progress, preview=preview,
                     preview_every=preview_every)


"""Parameterisations: how a feature visualisation represents its picture while it is optimised.

The optimiser never changes the picture directly: it changes *parameters*, and a small,
differentiable function turns them into a batch of RGB pictures in [0, 1]. Two choices
(Lucid / Distill's "Feature Visualization"):

- ``PixelImage``: one parameter per pixel and colour. Every pixel moves on its own, so the
  gradient's high frequencies (noise, checkerboards) go straight into the picture.
- ``FourierImage``: the parameters are the picture's 2-D Fourier coefficients, scaled by
  1/frequency so that a step changes coarse patterns as easily as fine ones, and its colours
  are *decorrelated*: the three parameter channels are mixed by the square root of ImageNet's
  colour correlation, so a step moves along the colour directions photos really vary in.

Both end in a sigmoid, which keeps every colour inside [0, 1] without clipping the gradient.
``assign_image`` runs the map backwards, so any picture can be a starting point (and a round
trip picture -> parameters -> picture gives the picture back).
"""

import numpy as np
import tensorflow as tf

from dreamlib.errors import DreamlibError

# The square root of ImageNet's colour correlation matrix (rows R, G, B), from Lucid
# (lucid/optvis/param/color.py): its first column is the brightness direction, the other two
# colour differences. Divided by its largest column norm so that no direction is amplified.
COLOR_CORRELATION_SQRT = np.array([[0.26, 0.09, 0.02],
                                   [0.27, 0.00, -0.05],
                                   [0.27, -0.09, 0.03]], np.float32)
COLOR_MIX = COLOR_CORRELATION_SQRT / np.max(np.linalg.norm(COLOR_CORRELATION_SQRT, axis=0))
_EDGE = 1e-4  # assign_image keeps colours this far inside (0, 1): the sigmoid never reaches its ends


def decorrelated_to_rgb(t):
    """Decorrelated colour parameters (..., 3) -> RGB (..., 3) before the sigmoid."""
    return tf.tensordot(t, tf.constant(COLOR_MIX.T), axes=1)


def rgb_to_decorrelated(t):
    """The inverse of ``decorrelated_to_rgb``."""
    return tf.tensordot(t, tf.constant(np.linalg.inv(COLOR_MIX.T).astype(np.float32)), axes=1)


def _logit(images):
    images = tf.clip_by_value(tf.convert_to_tensor(images, tf.float32), _EDGE, 1 - _EDGE)
    return tf.math.log(images) - tf.math.log1p(-images)


def to_valid_rgb(t, decorrelate):
    """Parameters' colours (..., 3) -> RGB in [0, 1]: mixed back from decorrelated colours, then a sigmoid."""
    return tf.sigmoid(decorrelated_to_rgb(t) if decorrelate else t)


def from_valid_rgb(images, shape, decorrelate):
    """The inverse of ``to_valid_rgb`` for pictures (h, w, 3) or (batch, h, w, 3) in [0, 1]."""
    t = _logit(_as_batch(images, shape))
    return rgb_to_decorrelated(t) if decorrelate else t


def _as_batch(images, shape):
    """A picture (h, w, 3) or a batch (n, h, w, 3) in [0, 1], checked against ``shape``."""
    images = np.asarray(images, np.float32)
    if images.ndim == 3:
        images = images[None]
    if images.shape[1:] != tuple(shape[1:]) or images.shape[0] not in (1, shape[0]):
        raise DreamlibError(f"pictures of shape {images.shape} do not fit a parameterisation of {tuple(shape)}")
    return np.broadcast_to(images, shape)


class PixelImage:
    """One parameter per pixel and colour: ``batch`` pictures of ``height`` x ``width``.

    ``sd`` is the spread of the random start (0.01, as Lucid: a nearly flat grey picture);
    ``decorrelate`` mixes the colour channels as ``FourierImage`` does.
    """

    def __init__(self, height, width, batch=1, sd=0.01, decorrelate=False, seed=None):
        self.shape = (batch, height, width, 3)
        self.decorrelate = decorrelate
        start = np.random.default_rng(seed).normal(0, sd, self.shape).astype(np.float32)
        self.variable = tf.Variable(start, name="pixels")

    def __call__(self):
        """The pictures, (batch, height, width, 3) in [0, 1]."""
        return self.render(self.variable)

    def render(self, params):
        """The pictures that parameters ``params`` (shaped like ``variable``) stand for."""
        return to_valid_rgb(params, self.decorrelate)

    def assign_image(self, images):
        """Set the parameters so that the pictures become ``images`` (values in [0, 1])."""
        self.variable.assign(from_valid_rgb(images, self.shape, self.decorrelate))
        return self


def spectrum_frequencies(height, width):
    """|frequency| in cycles per pixel of every coefficient of a real 2-D FFT (height, width // 2 + 1)."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    return np.sqrt(fx * fx + fy * fy)


class FourierImage:
    """The pictures' 2-D Fourier coefficients, scaled by 1/frequency, with decorrelated colours.

    The parameters hold the real and imaginary parts of every coefficient of ``tf.signal.rfft2d``
    (2, batch, 3, height, width // 2 + 1). Each is multiplied by 1 / max(f, 1/max(h, w)) **
    ``decay_power`` and by sqrt(h * w) (so the map is close to orthonormal, and learning rates
    carry over from pixels), then divided by 4, as Lucid does, to start in the sigmoid's
    linear range. Low frequencies thereby get big steps and high ones small steps: a natural
    photo's spectrum falls off about as 1/f, so every frequency band moves the picture by a
    similar amount.
    """

    def __init__(self, height, width, batch=1, sd=0.01, decay_power=1.0, decorrelate=True, seed=None):
        self.shape = (batch, height, width, 3)
        self.decorrelate = decorrelate
        freqs = spectrum_frequencies(height, width)
        scale = np.sqrt(height * width) / np.maximum(freqs, 1.0 / max(height, width)) ** decay_power / 4.0
        self.scale = tf.constant(scale.astype(np.float32))
        start = np.random.default_rng(seed).normal(0, sd, (2, batch, 3) + freqs.shape).astype(np.float32)
        self.variable = tf.Variable(start, name="spectrum")

    def __call__(self):
        """The pictures, (batch, height, width, 3) in [0, 1]."""
        return self.render(self.variable)

    def render(self, params):
        """The pictures that parameters ``params`` (shaped like ``variable``) stand for."""
        _, height, width, _ = self.shape
        spectrum = tf.complex(params[0] * self.scale, params[1] * self.scale)
        t = tf.signal.irfft2d(spectrum, fft_length=[height, width])  # (batch, 3, h, w)
        return to_valid_rgb(tf.transpose(t, [0, 2, 3, 1]), self.decorrelate)

    def assign_image(self, images):
        """Set the parameters so that the pictures become ``images`` (values in [0, 1])."""
        t = from_valid_rgb(images, self.shape, self.decorrelate)
        spectrum = tf.signal.rfft2d(tf.transpose(t, [0, 3, 1, 2]))
        self.variable.assign(tf.stack([tf.math.real(spectrum), tf.math.imag(spectrum)]) / self.scale)
        return self


PARAMETERIZATIONS = {"pixels": PixelImage, "fourier": FourierImage}

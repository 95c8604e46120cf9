"""Octaves: dream at several scales, smallest first, so patterns grow at every size.

A dream at one scale gives patterns of one size, in low resolution, with noise. Processing the
image at successive scales (each ``octave_scale`` times bigger) fixes all three: what the
network finds at a small scale becomes the seed of bigger patterns at the next.

Shrinking the image loses detail. *Lost-detail reinjection* (article D) adds it back when the
dream is enlarged: the difference between the original at the new size and the original that
went through the smaller size. The original at each octave's size is carried to the next
octave, and every resize happens in TensorFlow: the dream stays a tensor throughout.
"""

import numpy as np
import tensorflow as tf

from dreamlib.errors import DreamlibError
from dreamlib.images import MAX_MEGAPIXELS


def octave_exponents(octaves):
    """Exponents n of ``octave_scale ** n``: a count N means -(N-1)..0, a list is taken as is."""
    if isinstance(octaves, (int, np.integer)):
        return list(range(1 - int(octaves), 1))
    return sorted(int(n) for n in octaves)


def octave_shapes(shape, octaves=3, octave_scale=1.4, min_size=1):
    """(height, width) of each octave, smallest first: ``shape`` times ``octave_scale ** n``."""
    height, width = shape[:2]
    shapes = [(round(height * octave_scale ** n), round(width * octave_scale ** n))
              for n in octave_exponents(octaves)]
    check_octave_shapes(shapes, shape, octave_scale, min_size)
    return shapes


def check_octave_shapes(shapes, shape, octave_scale, min_size):
    """One line naming the fix when an octave is smaller than the model accepts, or too big."""
    height, width = int(shape[0]), int(shape[1])
    if min(height, width) < min_size:
        raise DreamlibError(f"the picture is {height}x{width} px, below this model's minimum of {min_size} px: "
                            f"use a picture at least {min_size} px on each side")
    if min(shapes[0]) < min_size:
        fit = 1 + int(np.floor(np.log(min(height, width) / min_size) / np.log(octave_scale)))
        raise DreamlibError(
            f"the smallest octave would be {shapes[0][0]}x{shapes[0][1]} px, below this model's "
            f"minimum of {min_size} px: use at most {max(fit, 1)} octave{'s' if fit > 1 else ''}, a smaller octave_scale, "
            f"or a bigger image")
    if shapes[-1][0] * shapes[-1][1] > MAX_MEGAPIXELS * 1e6:
        raise DreamlibError(f"the largest octave would be {shapes[-1][0]}x{shapes[-1][1]} px: "
                            f"use fewer octaves above the original size")


def resize(x, shape):
    """Picture ``x`` (height, width, channels) resized to ``shape`` in TensorFlow.

    Bicubic, antialiased when shrinking: within 0.01 grey level of PIL's bicubic resize
    (``dreamlib.images.resize_image``), so the dream stays a tensor without losing quality.
    """
    if tuple(x.shape[:2]) == tuple(shape):
        return tf.convert_to_tensor(x)
    return tf.image.resize(x, shape, method="bicubic", antialias=True)


def lost_detail(shrunk_original, same_size_original):
    """Detail the original loses by a trip through a smaller size: the original at the big
    size minus the original at the small size (``shrunk_original``), enlarged."""
    return same_size_original - resize(shrunk_original, same_size_original.shape[:2])


def enlarge(dream, big_shape, shrunk_original=None, same_size_original=None):
    """Resize ``dream`` to ``big_shape``; given the original at the dream's size and at
    ``big_shape``, reinject the detail the shrinking lost (article D)."""
    bigger = resize(dream, big_shape)
    if shrunk_original is None:
        return bigger
    return bigger + lost_detail(shrunk_original, same_size_original)


def octave_start(dream, original, shapes, index, lost_detail=True):
    """The picture octave ``index`` starts from: the original at the first octave's size, then the
    last octave's ``dream`` enlarged, with the detail that shrinking lost (article D) if asked."""
    if index == 0:
        return resize(original, shapes[0])
    if not lost_detail:
        return enlarge(dream, shapes[index])
    return enlarge(dream, shapes[index], resize(original, shapes[index - 1]), resize(original, shapes[index]))

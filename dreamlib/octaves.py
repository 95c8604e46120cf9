"""Octaves: dream at several scales, smallest first, so patterns grow at every size.

A dream at one scale gives patterns of one size, in low resolution, with noise. Processing the
image at successive scales (each ``octave_scale`` times bigger) fixes all three: what the
network finds at a small scale becomes the seed of bigger patterns at the next.

Shrinking the image loses detail. *Lost-detail reinjection* (article D) adds it back when the
dream is enlarged: the difference between the original at the new size and the original that
went through the smaller size.
"""

import numpy as np

from dreamlib.errors import DreamlibError
from dreamlib.images import MAX_MEGAPIXELS, resize_image


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


def lost_detail(original, small_shape, big_shape):
    """Detail the original loses by a trip through ``small_shape``, at ``big_shape``."""
    same_size = resize_image(original, big_shape)
    upscaled_shrunk = resize_image(resize_image(original, small_shape), big_shape)
    return same_size - upscaled_shrunk


def enlarge(dream, big_shape, original=None):
    """Resize ``dream`` to ``big_shape``; with ``original``, reinject the detail it lost."""
    small_shape = dream.shape[:2]
    bigger = resize_image(dream, big_shape)
    if original is not None:
        bigger = bigger + lost_detail(original, small_shape, big_shape)
    return bigger

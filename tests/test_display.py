"""Live previews: what they show, stamped when the network is untrained."""

import numpy as np

from dreamlib.display import LivePreview
from dreamlib.images import load_image
from tests.conftest import has_untrained_strip


def test_a_random_weight_preview_carries_the_untrained_stamp_and_its_caption():
    cat = load_image("chelsea", max_size=500)
    shown = LivePreview(width=256, untrained=True).picture(cat, "octave 2")
    assert shown.shape == (170, 256, 3)                 # shrunk to the preview's width first
    assert has_untrained_strip(shown)                    # the stamp along the bottom
    assert shown[:8].mean() < 80                         # the caption strip along the top
    plain = LivePreview(width=256).picture(cat, "octave 2")
    assert not has_untrained_strip(plain) and np.array_equal(plain[-40:], shown[-40:]) is False


def test_a_small_preview_keeps_its_stamp_whole():
    tiny = load_image("chelsea", max_size=64)
    shown = LivePreview(untrained=True).picture(tiny)
    yellow = (shown[..., 0] > 150) & (shown[..., 1] > 130) & (shown[..., 2] < 110)
    assert has_untrained_strip(shown) and np.flatnonzero(yellow.any(axis=0))[-1] < tiny.shape[1] - 1

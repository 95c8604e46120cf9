"""Make the bundled ``clouds`` sample: a sky of procedural clouds (fractal noise), CC0.

Article C dreams on a photo of clouds; we cannot ship one we did not take, so we make one.
Run: python tools/make_clouds.py dreamlib/samples/clouds.jpg
"""

import sys

import numpy as np
from PIL import Image, ImageFilter


def fractal_noise(height, width, rng, octaves=6):
    """Sum of blurred white noise at halving scales, like Perlin's turbulence; values in [0, 1]."""
    total = np.zeros((height, width), np.float32)
    for octave in range(octaves):
        scale = 2 ** (octaves - octave)
        small = rng.random((height // scale + 2, width // scale + 2)).astype(np.float32)
        layer = Image.fromarray((small * 255).astype(np.uint8)).resize((width, height), Image.BICUBIC)
        layer = layer.filter(ImageFilter.GaussianBlur(scale / 2))
        total += np.asarray(layer, np.float32) / 255 * 0.55 ** octave
    total -= total.min()
    return total / total.max()


def clouds(height=400, width=600, seed=7):
    """Blue sky fading to pale at the horizon, with soft white clouds."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    sky = (1 - rows) * np.array([70, 120, 200], np.float32) + rows * np.array([165, 195, 230], np.float32)
    cover = np.clip((fractal_noise(height, width, rng) - 0.42) / 0.35, 0, 1)[..., None]
    shade = fractal_noise(height, width, rng)[..., None]
    cloud = 255 - 45 * shade  # grey undersides
    return np.clip(sky * (1 - cover) + cloud * cover, 0, 255).astype(np.uint8)


if __name__ == "__main__":
    Image.fromarray(clouds()).save(sys.argv[1] if len(sys.argv) > 1 else "clouds.jpg", quality=92)

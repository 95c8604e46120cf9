"""The infinite zoom: dream, zoom into the centre a little, dream again - frame after frame.

google/deepdream's recipe: each frame is a short dream on the previous frame enlarged about its
centre (their scale 0.05, a zoom of 1.05 per frame). Because every dream continues the last one,
the patterns keep growing while the camera seems to fly into the picture. The frames are saved
as a GIF or MP4 by ``dreamlib.images.save_animation``.
"""

from dataclasses import replace

import numpy as np

from dreamlib import knobs
from dreamlib.errors import DreamlibError
from dreamlib.images import resize_image


def zoom_in(img, zoom):
    """Enlarge the centre of ``img`` by ``zoom``, keeping its size: crop the middle 1/zoom, resize back."""
    height, width = img.shape[:2]
    # A sub-pixel crop box keeps the crop exactly centred and the zoom exactly ``zoom`` at any size
    # (a whole-pixel crop of a 64-px frame would turn 1.05 into 64/61 = 1.049, or 1.016 into 1.0).
    dy, dx = height * (1 - 1 / zoom) / 2, width * (1 - 1 / zoom) / 2
    zoomed = resize_image(img, (height, width), box=(dx, dy, width - dx, height - dy))
    return np.clip(zoomed, 0, 255)  # bicubic overshoots at sharp edges


# google/deepdream dreams 10 steps per frame; one octave, as each frame is mostly dreamed already
FRAME_KNOBS = {"full": {"octaves": 1, "steps": 10}, "quick": {"octaves": 1, "steps": 5}}


def frame_settings(settings=None, quick=None):
    """Per-frame dream settings: the caller's, or short one-octave dreams (frames build on each other).

    ``quick`` (default: the ``DREAMLIB_QUICK`` switch) picks 5 steps per frame instead of 10.
    """
    from dreamlib import settings as switch
    from dreamlib.dream import DreamSettings

    if settings is None:
        quick = switch.is_quick() if quick is None else quick
        settings = (DreamSettings.quick if quick else DreamSettings)(**FRAME_KNOBS["quick" if quick else "full"])
    if not isinstance(settings, DreamSettings):
        raise DreamlibError(f"settings must be a DreamSettings; got {type(settings).__name__}")
    return settings


class Frames(list):
    """The frames made (``DreamResult``s); ``interrupted`` when a stop ended the zoom early."""

    interrupted = False


def zoom_frames(dreamer, image, frames=30, zoom=1.05, settings=None, progress=True, on_frame=None):
    """Dream ``frames`` frames: the first a dream of ``image``, each next a dream of the last one zoomed in.

    Returns a list of ``DreamResult`` (``.image`` is float RGB; ``.labelled_image()`` carries the
    UNTRAINED label when the network has random weights). ``settings`` (default ``frame_settings()``)
    is used for every frame; with a seed, frame ``i`` uses ``seed + i`` so the random rolls differ.
    ``on_frame(index, result)`` is called after every frame; returning False (a Stop button), or
    Ctrl-C, ends the zoom with the frames made so far (a ``Frames`` list marked ``interrupted``).
    """
    from tqdm.auto import tqdm

    from dreamlib.dream import check_picture

    frames, zoom = knobs.knob("frames").check(frames), knobs.knob("zoom").check(zoom)
    s = frame_settings(settings)
    s.check()
    picture = check_picture(image)
    made = Frames()
    bar = tqdm(total=frames, desc="zoom frames", unit="frame", disable=not progress)
    try:
        for index in range(frames):
            if index:
                picture = zoom_in(made[-1].image, zoom)
            seed = None if s.seed is None else s.seed + index
            result = dreamer.dream(picture, replace(s, seed=seed), progress=False)
            made.append(result)
            bar.update(1)
            if result.record.losses and result.record.losses[-1]:
                bar.set_postfix(loss=f"{result.record.losses[-1][-1]:.3g}")
            stop = on_frame is not None and on_frame(index, result) is False
            if stop or result.record.interrupted:  # a stop inside the dream: keep its picture, stop here
                made.interrupted = index + 1 < frames or result.record.interrupted
                break
    except KeyboardInterrupt:
        made.interrupted = True  # keep the frames made so far
    finally:
        bar.close()
    return made

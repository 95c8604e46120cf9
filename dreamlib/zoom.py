"""The infinite zoom: dream, zoom into the centre a little, dream again - frame after frame.

google/deepdream's recipe: each frame is a short dream on the previous frame enlarged about its
centre (their scale 0.05, a zoom of 1.05 per frame). Because every dream continues the last one,
the patterns keep growing while the camera seems to fly into the picture.
"""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from dreamlib.errors import DreamlibError, check_number, check_whole_number
from dreamlib.images import atomic_write, resize_image, stamp_untrained, to_uint8

MAX_ZOOM = 2.0          # more than 2x per frame is a jump cut, not a zoom
MAX_FRAMES = 10_000     # more is almost certainly a typo (and hours of dreaming)
MAX_FPS = 60
ANIMATION_FORMATS = (".gif", ".mp4")
MP4_HINT = "pip install imageio imageio-ffmpeg, or save as .gif"


def check_zoom(zoom):
    """``zoom`` as a float, or one clear error: a number from 1 (no zoom) to ``MAX_ZOOM``."""
    if isinstance(zoom, bool) or not isinstance(zoom, (int, float, np.integer, np.floating)) \
            or not math.isfinite(zoom) or not 1 <= zoom <= MAX_ZOOM:
        raise DreamlibError(f"zoom is the enlargement per frame, from 1 (none) to {MAX_ZOOM:g}, "
                            f"such as 1.05; got {zoom!r}")
    return float(zoom)


def check_frames(frames):
    """``frames`` as an int, or one clear error: a whole number from 1 to ``MAX_FRAMES``."""
    return check_whole_number("frames", frames, 1, MAX_FRAMES, example=30)


def check_fps(fps):
    """``fps`` as a float, or one clear error: frames per second above 0 and at most ``MAX_FPS``."""
    return check_number("fps", fps, 0, MAX_FPS, example=12)


def zoom_in(img, zoom):
    """Enlarge the centre of ``img`` by ``zoom``, keeping its size: crop the middle 1/zoom, resize back."""
    zoom = check_zoom(zoom)
    img = np.asarray(img, dtype=np.float32)
    if img.ndim != 3 or img.shape[-1] != 3:
        raise DreamlibError(f"an image is (height, width, 3) RGB; got shape {img.shape}")
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


def zoom_frames(dreamer, image, frames=30, zoom=1.05, settings=None, progress=True, on_frame=None):
    """Dream ``frames`` frames: the first a dream of ``image``, each next a dream of the last one zoomed in.

    Returns a list of ``DreamResult`` (``.image`` is float RGB; ``.labelled_image()`` carries the
    UNTRAINED label when the network has random weights). ``settings`` (default ``frame_settings()``)
    is used for every frame; with a seed, frame ``i`` uses ``seed + i`` so the random rolls differ.
    ``on_frame(index, result)`` is called after every frame; returning False stops there. A
    KeyboardInterrupt also stops, keeping the frames made so far.
    """
    from tqdm.auto import tqdm

    frames, zoom = check_frames(frames), check_zoom(zoom)
    s = frame_settings(settings)
    s.check()
    made = []
    picture = np.asarray(image, dtype=np.float32)
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
            if stop or result.record.interrupted:  # Ctrl-C inside the dream: keep its picture, stop here
                break
    except KeyboardInterrupt:
        pass  # keep the frames made so far
    finally:
        bar.close()
    return made


def check_animation_path(path):
    """The path as a ``Path`` if dreamlib can write an animation there, else one clear error."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_FORMATS:
        raise DreamlibError(f"cannot save {path.name} as an animation: end the name with "
                            f"{' or '.join(ANIMATION_FORMATS)}")
    if suffix == ".mp4":
        _mp4_writer()  # fail now, before minutes of dreaming, when MP4 support is missing
    return path


def _mp4_writer():
    """imageio's v2 API, if imageio and its ffmpeg binary (imageio-ffmpeg) are installed."""
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg  # noqa: F401  (the ffmpeg binary imageio writes MP4 with)
    except ImportError:
        raise DreamlibError(f"writing .mp4 needs the optional packages imageio and imageio-ffmpeg: "
                            f"{MP4_HINT}") from None
    return imageio


def animation_frames(frames, untrained=False):
    """uint8 RGB frames to write: ``DreamResult``s or float images, stamped UNTRAINED when so."""
    from dreamlib.dream import DreamResult

    pictures = []
    for frame in frames:
        if isinstance(frame, DreamResult):
            picture = stamp_untrained(frame.image, untrained or frame.untrained)
        else:
            picture = np.asarray(frame, dtype=np.float32)
            if picture.ndim != 3 or picture.shape[-1] != 3:
                raise DreamlibError(f"an animation frame is (height, width, 3) RGB; got shape {picture.shape}")
            picture = stamp_untrained(picture, untrained)
        pictures.append(to_uint8(picture))
    if not pictures:
        raise DreamlibError("an animation needs at least one frame")
    sizes = {p.shape for p in pictures}
    if len(sizes) > 1:
        raise DreamlibError(f"animation frames must all have one size; got {sorted(sizes)}")
    return pictures


def _write_gif(pictures, file, fps):
    first, *rest = (Image.fromarray(p) for p in pictures)
    # loop=0: play forever; disposal=1 and optimize=False keep every frame whole
    first.save(file, format="GIF", save_all=True, append_images=rest, duration=round(1000 / fps),
               loop=0, disposal=1, optimize=False)


def _write_mp4(pictures, file, fps):
    imageio = _mp4_writer()
    height, width = pictures[0].shape[:2]
    # yuv420p (what every player reads) needs even sides: repeat the last row/column, don't rescale
    even = ((0, height % 2), (0, width % 2), (0, 0))
    with imageio.get_writer(file, format="FFMPEG", mode="I", fps=fps, codec="libx264",
                            pixelformat="yuv420p", macro_block_size=2, quality=8) as writer:
        for picture in pictures:
            writer.append_data(np.pad(picture, even, mode="edge"))


def save_animation(frames, path, fps=12, untrained=False, overwrite=False, protect=()):
    """Write ``frames`` as a looping .gif (or .mp4 with imageio-ffmpeg) atomically; returns the path.

    ``frames`` are ``DreamResult``s (from ``zoom_frames``) or float RGB images; every frame of an
    untrained network, or all frames when ``untrained``, carries the visible UNTRAINED label. Like
    ``save_image``: a temp file in the same folder then a rename, no overwriting unless
    ``overwrite``, never a path in ``protect`` (the input pictures).
    """
    path = check_animation_path(path)
    fps = check_fps(fps)
    pictures = animation_frames(frames, untrained)
    write = _write_gif if path.suffix.lower() == ".gif" else _write_mp4
    return atomic_write(path, lambda tmp: write(pictures, tmp, fps), overwrite, protect, example="zoom.gif")

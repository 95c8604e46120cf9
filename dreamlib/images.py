"""Pictures in and out: load any common image as float RGB, resize, save safely, show.

Inside dreamlib an image is a NumPy array of shape (height, width, 3), dtype float32, with
values in [0, 255]. Each model's ``preprocess`` turns that into what the network expects.
"""

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from dreamlib.errors import DreamlibError, no_permission
from dreamlib.files import atomic_write

SAMPLES_DIR = Path(__file__).parent / "samples"
SAMPLES = ("chelsea", "coffee", "astronaut", "rocket", "clouds")
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP",
                ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}
MAX_MEGAPIXELS = 80  # bigger inputs are almost always a mistake (or a decompression bomb)


def list_samples():
    """Names of the bundled sample images (see ``samples/CREDITS.md``)."""
    return list(SAMPLES)


def sample_path(name):
    """Path of the bundled sample called ``name``."""
    if name not in SAMPLES:
        raise DreamlibError(f"no bundled sample called {name!r}: choose one of {', '.join(SAMPLES)}")
    return SAMPLES_DIR / f"{name}.jpg"


def resolve_image_source(source):
    """Path for ``source``: an existing file, or the name of a bundled sample."""
    if not isinstance(source, (str, os.PathLike)) or not str(source).strip():
        raise DreamlibError(f"a picture is a file path or a bundled sample name ({', '.join(SAMPLES)}); "
                            f"got {source!r}")
    path = Path(source).expanduser()
    try:
        if path.is_file():
            return path
    except PermissionError:  # a folder on the way that may not be looked into
        raise no_permission(path.parent) from None
    if str(source) in SAMPLES:
        return sample_path(str(source))
    if path.is_dir():
        raise DreamlibError(f"{source} is a folder, not an image file: name one picture inside it")
    raise DreamlibError(
        f"no image file at {source}: check the path, or use a bundled sample "
        f"({', '.join(SAMPLES)})")


def _to_rgb_array(pil):
    """Float RGB array in [0, 255] from a PIL image of any mode."""
    if pil.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # 16-bit and 32-bit grayscale: stretch the file's own range to 0..255
        a = np.asarray(pil, dtype=np.float32)
        top = 65535.0 if pil.mode.startswith("I;16") else max(float(a.max()), 1.0)
        a = np.clip(a / top * 255.0, 0, 255)
        return np.repeat(a[..., None], 3, axis=-1)
    if pil.mode == "P":
        pil = pil.convert("RGBA")
    if pil.mode in ("RGBA", "LA", "PA") or "transparency" in pil.info:
        pil = pil.convert("RGBA")
        white = Image.new("RGBA", pil.size, (255, 255, 255, 255))
        pil = Image.alpha_composite(white, pil)
    return np.asarray(pil.convert("RGB"), dtype=np.float32)


def load_image(source, max_size=None, name=None, min_side=None):
    """Load ``source`` (a path, a sample name, or a file's bytes) as float32 RGB (H, W, 3) in [0, 255].

    Handles grayscale, RGBA (composited on white), palette, 16-bit and CMYK files, and turns
    the picture upright from its EXIF orientation. ``max_size`` shrinks the longest side.
    ``name`` is what error messages call bytes (an uploaded file's name). ``min_side`` lets a
    JPEG decode at 1/2, 1/4 or 1/8 scale while both sides stay at least that many pixels: many
    times faster for a big photo that will be made small anyway.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        path, opened = name or "the uploaded file", io.BytesIO(bytes(source))
    else:
        path = opened = resolve_image_source(source)
    width = height = None  # Pillow may refuse a huge picture before its size can be read
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(opened) as pil:
                width, height = pil.size
                if width * height > MAX_MEGAPIXELS * 1e6:
                    raise Image.DecompressionBombError("too big")
                if min_side:
                    pil.draft(pil.mode, (min_side, min_side))  # JPEG only; other formats ignore it
                pil = ImageOps.exif_transpose(pil)
                pil.load()
                img = _to_rgb_array(pil)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        size = f"{width}x{height} pixels" if width else "too many pixels"
        raise DreamlibError(
            f"{path} is {size}, more than dreamlib's limit of {MAX_MEGAPIXELS} megapixels: "
            f"shrink it first") from None
    except PermissionError:
        raise no_permission(path) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise DreamlibError(
            f"cannot read {path} as an image ({e.__class__.__name__}): is it a complete "
            f"JPEG/PNG/WebP file? Re-export it and try again") from None
    if max_size is not None:
        img = fit_within(img, max_size)
    return img


def _check_shape(shape):
    try:
        height, width = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise DreamlibError(f"an image size is (height, width); got {shape!r}") from None
    if height < 1 or width < 1 or height * width > MAX_MEGAPIXELS * 1e6:
        raise DreamlibError(
            f"cannot resize to {height}x{width}: sizes must be positive and at most "
            f"{MAX_MEGAPIXELS} megapixels")
    return height, width


def resize_image(img, shape, box=None):
    """Resize a float image to ``shape`` = (height, width), channel by channel (bicubic).

    ``box`` = (left, top, right, bottom), in pixels and possibly fractional, resizes only that
    region of the image (a sub-pixel crop and resize in one step).
    """
    height, width = _check_shape(shape)
    img = np.asarray(img, dtype=np.float32)
    if img.shape[:2] == (height, width) and box is None:
        return img.copy()
    channels = [np.asarray(Image.fromarray(np.ascontiguousarray(img[..., c]), mode="F").resize(
        (width, height), Image.BICUBIC, box=box)) for c in range(img.shape[-1])]
    return np.stack(channels, axis=-1).astype(np.float32)


def fit_within(img, max_size):
    """Shrink a [0, 255] picture so its longest side is at most ``max_size`` (never enlarges)."""
    if not isinstance(max_size, (int, np.integer)) or max_size < 1:
        raise DreamlibError(f"max_size must be a positive whole number of pixels; got {max_size!r}")
    height, width = img.shape[:2]
    scale = max_size / max(height, width)
    if scale >= 1:
        return np.asarray(img, dtype=np.float32)
    smaller = resize_image(img, (max(1, round(height * scale)), max(1, round(width * scale))))
    return np.clip(smaller, 0, 255)  # bicubic overshoots a little at sharp edges


def to_uint8(img):
    """Round and clip a float image to displayable uint8 (the bug-free version of D's cast)."""
    return np.clip(np.rint(np.asarray(img, dtype=np.float32)), 0, 255).astype(np.uint8)


UNTRAINED_LABEL = "UNTRAINED NETWORK (random weights) - not a real dream"
# Shorter forms of the same warning, for pictures too small for the whole sentence.
_UNTRAINED_SHORT = ("UNTRAINED (random weights)", "UNTRAINED")
_SMALLEST_FONT = 8  # pixels; below this the default font stops being readable


def _wrap(draw, text, font, width):
    """``text`` split at spaces into lines at most ``width`` pixels wide (a long word gets its own line)."""
    lines = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _label_layout(img, text, max_lines=2):
    """(font, lines) that fit ``text`` across ``img`` on at most ``max_lines`` lines, or None.

    The font grows with the picture (a 30th of its width, at least 11 px), so that the label stays
    readable when a big picture is shown small, and shrinks down to 8 px to fit a small one.
    """
    from PIL import ImageFont

    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = img.shape[1] - 8  # a 4-pixel margin each side
    for size in range(max(11, img.shape[1] // 30), _SMALLEST_FONT - 1, -1):
        font = ImageFont.load_default(size=size)
        lines = _wrap(draw, text, font, width)
        if len(lines) <= max_lines and all(draw.textlength(line, font=font) <= width for line in lines):
            return font, lines
    return None


def _strip(font, lines, width):
    """The label strip: yellow lines on black, ``width`` pixels wide."""
    line_height = font.getbbox("Ag")[3] + 2
    strip = Image.new("RGB", (width, line_height * len(lines) + 5), (0, 0, 0))
    pen = ImageDraw.Draw(strip)
    for i, line in enumerate(lines):
        pen.text((4, 3 + i * line_height), line, fill=(255, 220, 0), font=font)
    return strip


def label_image(img, text, top=False):
    """A copy of ``img`` with ``text`` on a dark strip along its bottom (or ``top``) edge.

    The text is wrapped onto two lines and set smaller as needed, so that it is never cut off;
    on a picture too narrow even for that, the strip is shrunk to the picture's width.
    """
    from PIL import ImageFont

    pil = Image.fromarray(to_uint8(img))
    layout = _label_layout(np.asarray(pil), text)
    if layout is None:  # too narrow: write one line, then shrink the strip to fit
        font = ImageFont.load_default(size=_SMALLEST_FONT)
        strip = _strip(font, [text], round(font.getlength(text)) + 8)
        strip = strip.resize((pil.width, max(1, round(strip.height * pil.width / strip.width))), Image.LANCZOS)
    else:
        strip = _strip(*layout, pil.width)
    pil.paste(strip.crop((0, 0, pil.width, min(strip.height, pil.height))),
              (0, 0 if top else max(0, pil.height - strip.height)))
    return np.asarray(pil, dtype=np.float32)


def untrained_label(img):
    """The longest form of the UNTRAINED warning that fits ``img`` on one or two lines."""
    for text in (UNTRAINED_LABEL, *_UNTRAINED_SHORT):
        layout = _label_layout(np.asarray(img), text)
        if layout is not None and _strip(*layout, 1).height <= img.shape[0] / 4:
            return text
    return _UNTRAINED_SHORT[-1]


def stamp_untrained(img, untrained=True):
    """``img`` with the UNTRAINED warning stamped along its bottom when ``untrained``, else ``img``.

    The one mark every picture of a random-weight network carries (saved files, previews, grids).
    """
    if not untrained:
        return img
    return label_image(img, untrained_label(np.asarray(img)))


def save_image(img, path, overwrite=False, protect=(), metadata=None):
    """Save ``img`` to ``path`` atomically (see ``atomic_write``); ``metadata`` goes into PNG text chunks.

    Never leaves a half-written file, refuses to replace an existing file unless ``overwrite``,
    and never replaces a path listed in ``protect`` (the input pictures). Returns the final path.
    """
    path = Path(path).expanduser()
    fmt = SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DreamlibError(
            f"cannot save {path.name}: end the name with one of {', '.join(sorted(SAVE_FORMATS))}")
    pil = Image.fromarray(to_uint8(img))
    options = {}
    if fmt == "PNG" and metadata:
        from PIL.PngImagePlugin import PngInfo
        info = PngInfo()
        for key, value in metadata.items():
            info.add_text(str(key), str(value))
        options["pnginfo"] = info
    if fmt == "JPEG":
        options["quality"] = 92
    return atomic_write(path, lambda tmp: pil.save(tmp, format=fmt, **options), overwrite, protect)


# ----------------------------------------------------------------------------- animations

ANIMATION_FORMATS = (".gif", ".mp4")
MP4_HINT = "pip install imageio imageio-ffmpeg, or save as .gif"


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
    """uint8 RGB frames to write: dream results (``.image``, ``.untrained``) or float pictures,
    stamped UNTRAINED when so."""
    pictures = []
    for frame in frames:
        picture = np.asarray(getattr(frame, "image", frame), dtype=np.float32)
        if picture.ndim != 3 or picture.shape[-1] != 3:
            raise DreamlibError(f"an animation frame is (height, width, 3) RGB; got shape {picture.shape}")
        pictures.append(to_uint8(stamp_untrained(picture, untrained or getattr(frame, "untrained", False))))
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

    ``frames`` are dream results (a zoom's frames) or float RGB pictures; every frame of an
    untrained network, or all frames when ``untrained``, carries the visible UNTRAINED label. The
    rules of ``save_image`` hold (``atomic_write``): a temp file in the same folder then a rename,
    no overwriting unless ``overwrite``, never a path in ``protect`` (the input pictures).
    """
    from dreamlib import knobs

    path = check_animation_path(path)
    fps = knobs.knob("fps").check(fps)
    pictures = animation_frames(frames, untrained)
    write = _write_gif if path.suffix.lower() == ".gif" else _write_mp4
    return atomic_write(path, lambda tmp: write(pictures, tmp, fps), overwrite, protect, example="zoom.gif")


# ----------------------------------------------------------------------------- showing

def _fit_title(title, inches, fontsize):
    """``title`` wrapped to about the width of a picture ``inches`` wide, so neighbours never overlap."""
    import textwrap

    chars = max(8, int(inches * 72 / (0.6 * fontsize)))  # an average character is about 0.6 em wide
    return "\n".join(textwrap.fill(line, chars) for line in str(title).split("\n"))


def image_grid(images, titles=None, cols=None, size=3.0, untrained=False):
    """Show several float images side by side (rows of ``cols``) and return the figure.

    ``untrained`` (one flag, or one per image) stamps the UNTRAINED warning on those pictures.
    Titles are wrapped to the width of their picture.
    """
    import matplotlib.pyplot as plt

    images = list(images)
    if not images:
        raise DreamlibError("image_grid needs at least one image")
    flags = list(untrained) if isinstance(untrained, (list, tuple)) else [bool(untrained)] * len(images)
    if len(flags) != len(images):
        raise DreamlibError(f"untrained needs one flag per image: {len(flags)} for {len(images)} images")
    cols = cols or min(len(images), 4)
    rows = -(-len(images) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(to_uint8(stamp_untrained(images[i], flags[i])))
            if titles is not None and i < len(titles):
                ax.set_title(_fit_title(titles[i], size, 9), fontsize=9)
    fig.tight_layout()
    return fig


def show(img, title=None, size=5.0, untrained=False):
    """Show one float image with an optional title (and the UNTRAINED stamp when so); return the figure."""
    return image_grid([img], [title] if title else None, cols=1, size=size, untrained=untrained)

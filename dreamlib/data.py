"""Training data for the DCGAN bonus: Fashion-MNIST (or MNIST), and a folder of your own pictures.

The full Fashion-MNIST (60,000 training and 10,000 test pictures) is looked for in this order, so
that a classroom without internet still works:

1. the folder named by ``DREAMLIB_FASHION_MNIST_DIR`` (MNIST: ``DREAMLIB_MNIST_DIR``), which must
   hold the four ``*-ubyte.gz`` files (when the variable is set, nothing else is tried);
2. Keras's own cache, ``$KERAS_HOME/datasets`` (default ``~/.keras/datasets``), which one online
   ``keras.datasets.fashion_mnist.load_data()`` fills;
3. Debian's ``dataset-fashion-mnist`` package, ``/usr/share/datasets/fashion-mnist`` (Debian
   packages no MNIST digits).

When none holds it, a run that can do with fewer pictures (``subset=True``; by default under quick
settings) reads the subset bundled with dreamlib, 6,000 training and 1,000 test pictures
(``dreamlib/datasets/fashion-mnist``, made by ``tools/make_fashion_subset.py``), and says so in
one line. A run that wants the full set gets it from Keras's download, unless
``DREAMLIB_OFFLINE=1``, or else one error saying how to get it. ``DREAMLIB_BUNDLED_DATA_ONLY=1``
makes dreamlib act as on a bare machine (CI's test run): it looks at no full copy and downloads none.

A GAN's generator ends in tanh, so training pictures are scaled to [-1, 1] (``to_gan_range``).
"""

import gzip
import os
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from dreamlib import settings
from dreamlib.errors import DreamlibError, check_whole_number, no_permission
from dreamlib.images import MAX_MEGAPIXELS, _check_shape, load_image, resize_image

FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
KINDS = ("fashion_mnist", "mnist")
SPLITS = ("train", "test")
ENV_VARS = {"fashion_mnist": "DREAMLIB_FASHION_MNIST_DIR", "mnist": "DREAMLIB_MNIST_DIR"}
DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIRS = {"fashion_mnist": Path("/usr/share/datasets/fashion-mnist")}
# the subset that travels inside dreamlib (see its CREDITS.md); Fashion-MNIST only
BUNDLED_DIRS = {"fashion_mnist": Path(__file__).resolve().parent / "datasets" / "fashion-mnist"}
BUNDLED_ONLY_ENV = "DREAMLIB_BUNDLED_DATA_ONLY"
FULL_SIZES = {"train": 60000, "test": 10000}
# where keras.datasets.<kind>.load_data() keeps its copy, under $KERAS_HOME/datasets
KERAS_CACHE = {"fashion_mnist": "fashion-mnist", "mnist": "mnist.npz"}
IDX_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
             "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
IDX_UBYTE = 0x08  # the idx type code for unsigned bytes, the only one (Fashion-)MNIST uses

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")
LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601 weights for grayscale pictures


# ----------------------------------------------------------------------------- Fashion-MNIST

def keras_datasets_dir():
    """Folder where Keras caches data sets: ``$KERAS_HOME/datasets`` (default ``~/.keras``)."""
    from dreamlib.models import cache_dir

    return cache_dir().parent / "datasets"


def _check_kind_split(kind, split):
    if kind not in KINDS:
        raise DreamlibError(f"unknown data set {kind!r}: choose one of {', '.join(KINDS)}")
    if split not in SPLITS:
        raise DreamlibError(f"unknown split {split!r}: choose 'train' (60,000 pictures) or 'test' (10,000)")


def read_idx(path):
    """Read one idx file (MNIST's format, gzipped or not) as uint8, checking magic number and size."""
    path = Path(path)
    again = "delete it and copy or download it again"
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DreamlibError(f"{path} is damaged or truncated ({e.__class__.__name__}): {again}") from None
    if len(raw) < 4 or raw[:3] != bytes([0, 0, IDX_UBYTE]) or not 1 <= raw[3] <= 4:
        raise DreamlibError(f"{path} is not an idx file of bytes (wrong magic number {raw[:4].hex() or 'none'}): {again}")
    header = 4 + 4 * raw[3]
    if len(raw) < header:
        raise DreamlibError(f"{path} ends inside its header: {again}")
    shape = struct.unpack(f">{raw[3]}I", raw[4:header])
    expected, found = int(np.prod(shape)), len(raw) - header
    if found != expected:
        raise DreamlibError(f"{path} holds {found} bytes of data but its header promises {expected} "
                            f"(shape {shape}): {again}")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape).copy()


def _idx_path(folder, name):
    """The file ``name`` in ``folder``, gzipped or already unpacked; None when neither is there."""
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _has_split(source, split):
    if source.suffix == ".npz":
        return source.is_file()
    return source.is_dir() and all(_idx_path(source, name) for name in IDX_FILES[split])


def _read_idx_split(folder, split):
    images_name, labels_name = IDX_FILES[split]
    images_path, labels_path = _idx_path(folder, images_name), _idx_path(folder, labels_name)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1:
        raise DreamlibError(f"{images_path} should hold pictures (3 axes) and {labels_path} labels (1 axis); "
                            f"got shapes {images.shape} and {labels.shape}: are the files swapped?")
    if len(images) != len(labels):
        raise DreamlibError(f"{images_path} holds {len(images)} pictures but {labels_path} {len(labels)} "
                            f"labels: the two files come from different copies, get both again")
    return images, labels


def _read_npz_split(path, split):
    try:
        with np.load(path, allow_pickle=False) as f:  # split is "train" or "test", checked by the caller
            return np.asarray(f[f"x_{split}"], np.uint8), np.asarray(f[f"y_{split}"], np.uint8)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        raise DreamlibError(f"{path} is damaged or not Keras's file ({e.__class__.__name__}): "
                            f"delete it and load the data set again") from None


def bundled_only():
    """True under ``DREAMLIB_BUNDLED_DATA_ONLY=1``: no full copy is looked at or downloaded (a bare machine)."""
    return settings._flag(BUNDLED_ONLY_ENV)


def _named_folder(kind, split):
    """The folder in ``DREAMLIB_FASHION_MNIST_DIR`` (or MNIST's variable), checked; None when unset."""
    env = ENV_VARS[kind]
    named = os.environ.get(env, "").strip()
    if not named:
        return None
    folder = Path(named).expanduser()
    if not folder.is_dir():
        what = "a file, not a folder" if folder.exists() else "not there"
        raise DreamlibError(f"{env}={named} is {what}: point it at the folder that holds "
                            f"{' and '.join(IDX_FILES[split])}, or unset it")
    missing = [name for name in IDX_FILES[split] if _idx_path(folder, name) is None]
    if missing:
        raise DreamlibError(f"{env}={named} has no {' or '.join(missing)}: copy the four *-ubyte.gz "
                            f"files of {kind} into that folder, or unset {env}")
    return folder


def locate_full_set(kind="fashion_mnist", split="train"):
    """Where the full data set is on this machine: a folder (or Keras's ``mnist.npz``), or None."""
    _check_kind_split(kind, split)
    if bundled_only():
        return None
    named = _named_folder(kind, split)
    if named is not None:
        return named
    candidates = [keras_datasets_dir() / KERAS_CACHE[kind]]
    if kind in DEBIAN_DIRS:
        candidates.append(DEBIAN_DIRS[kind])
    return next((source for source in candidates if _has_split(source, split)), None)


def _subset_wanted(subset):
    return settings.is_quick() if subset is None else bool(subset)


def locate_dataset(kind="fashion_mnist", split="train", subset=None):
    """Where ``load_fashion_mnist(kind, split, subset)`` reads from: the full set's folder (or Keras's
    ``mnist.npz``), the bundled subset's folder, or None when it would download."""
    found = locate_full_set(kind, split)
    if found is None and _subset_wanted(subset) and kind in BUNDLED_DIRS:
        return BUNDLED_DIRS[kind]
    return found


def _download(kind):
    """Keras's own loader, the first choice online (it also fills Keras's cache for next time)."""
    import keras

    return getattr(keras.datasets, kind).load_data()


def _how_to_get(kind, reason):
    env, files = ENV_VARS[kind], ", ".join(IDX_FILES["train"] + IDX_FILES["test"])
    options = []
    if kind in DEBIAN_DIRS:
        options.append(f"install Debian's package (sudo apt-get install {DEBIAN_PACKAGE})")
    options.append(f"set {env} to a folder holding {files}")
    options.append(f"connect to the internet once (Keras then keeps a copy in {keras_datasets_dir()})")
    if kind in BUNDLED_DIRS:
        options.append("make do with the small subset bundled with dreamlib (quick settings, DREAMLIB_QUICK=1, "
                       "or subset=True)")
    return f"{kind} is not on this machine and {reason}: " + ", or ".join(options)


def _no_download_reason(download):
    if bundled_only():
        return f"{BUNDLED_ONLY_ENV}=1 hides every full copy"
    if settings.offline():
        return f"{settings.OFFLINE_ENV}=1 forbids the download"
    return "no download was asked for"


_said = set()  # the data sets whose "bundled subset" line this process has printed


def _bundled_note(kind, split, count, failed):
    why = f"; the download failed: {failed}" if failed else ""
    return (f"dreamlib: {kind} {split}: the {count:,}-picture subset bundled with dreamlib (the full "
            f"{FULL_SIZES[split]:,} are not on this machine{why}; to get them: sudo apt-get install "
            f"{DEBIAN_PACKAGE}, or connect to the internet once)")


def load_fashion_mnist(kind="fashion_mnist", split="train", subset=None, download=None, say=print):
    """Fashion-MNIST (or ``kind="mnist"``) as uint8 pictures (N, 28, 28) and uint8 labels (N,), offline first.

    The full set when it is on this machine (see the module's docstring). Otherwise: with
    ``download`` (default: when no subset will do) Keras downloads it, unless ``DREAMLIB_OFFLINE=1``;
    with ``subset`` (default: under quick settings) the subset bundled with dreamlib stands in,
    announced by one line through ``say`` (once per data set and split); else one error saying
    how to get the full set.
    """
    source = locate_full_set(kind, split)
    if source is not None:
        return _read_npz_split(source, split) if source.suffix == ".npz" else _read_idx_split(source, split)
    subset = _subset_wanted(subset) and kind in BUNDLED_DIRS
    if download is None:
        download = not subset
    failed = None
    if download and not settings.offline() and not bundled_only():
        try:
            train, test = _download(kind)
        except Exception as e:  # offline, SSL, proxy, a half-written cache: all end in the same advice
            text = str(e).strip()
            failed = text.splitlines()[0][:160] if text else e.__class__.__name__
        else:
            images, labels = train if split == "train" else test
            return np.asarray(images, np.uint8), np.asarray(labels, np.uint8)
    if subset:
        images, labels = _read_idx_split(BUNDLED_DIRS[kind], split)
        if say is not None and (kind, split) not in _said:
            _said.add((kind, split))
            say(_bundled_note(kind, split, len(images), failed))
        return images, labels
    reason = f"the download failed ({failed})" if failed else _no_download_reason(download)
    raise DreamlibError(_how_to_get(kind, reason))


# ----------------------------------------------------------------------------- to and from [-1, 1]

def to_gan_range(images):
    """A batch of [0, 255] pictures, (N, H, W) or (N, H, W, C), as float32 in [-1, 1] with a channel axis."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise DreamlibError(f"expected a batch of pictures shaped (N, H, W) or (N, H, W, C); got {images.shape}")
    if images.size and (images.min() < 0 or images.max() > 255):
        raise DreamlibError("pictures for to_gan_range must hold values 0..255 "
                            f"(got {images.min():.3g}..{images.max():.3g}): are they already scaled?")
    return images.astype(np.float32) / 127.5 - 1.0


def from_gan_range(images):
    """Generator output in [-1, 1] back to float RGB [0, 255] pictures (gray repeated to 3 channels)."""
    images = (np.clip(np.asarray(images, np.float32), -1.0, 1.0) + 1.0) * 127.5
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return images


def array_dataset(images, batch_size=64, seed=0, limit=None):
    """Shuffled float32 [-1, 1] batches (B, H, W, C) from uint8 pictures; a new order every epoch, same seed same orders."""
    import tensorflow as tf

    batch_size = check_whole_number("batch_size", batch_size)
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim not in (3, 4):
        raise DreamlibError(f"array_dataset wants uint8 pictures shaped (N, H, W) or (N, H, W, C); "
                            f"got {images.dtype} {images.shape}")
    if limit is not None:
        images = images[:check_whole_number("limit", limit)]
    if len(images) < batch_size:
        raise DreamlibError(f"only {len(images)} pictures, fewer than one batch of {batch_size}: "
                            f"lower batch_size or raise limit")
    if images.ndim == 3:
        images = images[..., None]
    # shuffle and batch the small uint8 pictures, scale per batch: the float copy never exists in full
    ds = tf.data.Dataset.from_tensor_slices(images)
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.map(lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


# ----------------------------------------------------------------------------- your own pictures

def center_crop_resize(img, size):
    """Cut the largest centred part of ``img`` with the aspect ratio of ``size`` = (height, width), then resize."""
    height, width = _check_shape(size)
    img = np.asarray(img, np.float32)
    h, w = img.shape[:2]
    if w * height > h * width:  # too wide: keep the middle columns
        keep = max(1, round(h * width / height))
        img = img[:, (w - keep) // 2:(w - keep) // 2 + keep]
    else:  # too tall (or exact): keep the middle rows
        keep = max(1, round(w * height / width))
        img = img[(h - keep) // 2:(h - keep) // 2 + keep]
    return np.clip(resize_image(img, (height, width)), 0, 255)  # bicubic overshoots at sharp edges


def load_training_picture(path, image_size=(64, 64), channels=3):
    """One picture as float32 (H, W, channels) in [-1, 1]: upright, any mode, centre-cropped, resized."""
    # a big photo decodes at a reduced scale that still covers the crop: far faster, same picture
    img = center_crop_resize(load_image(path, min_side=max(image_size)), image_size)
    if channels == 1:
        img = img @ LUMA[:, None]
    return img / 127.5 - 1.0


def _is_hidden(path, folder):
    # .ipynb_checkpoints, macOS ._photo.jpg resource forks, .DS_Store: never pictures of yours
    return any(part.startswith(".") for part in path.relative_to(folder).parts)


NO_PERMISSION = "no permission to read it"


def _problem(path):
    """Why ``path`` is not a usable picture (a short reason), or None when it is fine."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as pil:
                width, height = pil.size
                pil.verify()  # reads the structure without decoding every pixel: cheap
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"more than {MAX_MEGAPIXELS} megapixels"
    except PermissionError:
        return NO_PERMISSION
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        return f"not a readable picture ({e.__class__.__name__})"
    if width * height > MAX_MEGAPIXELS * 1e6:
        return f"{width}x{height} is more than {MAX_MEGAPIXELS} megapixels"
    return None


def check_folder(folder):
    """``folder`` as a ``Path`` if it is a folder, else one clear error (a bare name may be a data set typo)."""
    path = Path(folder).expanduser()
    if not path.exists():
        if "/" not in str(folder) and os.sep not in str(folder):
            raise DreamlibError(f"no data set or folder called {folder!r}: use {' or '.join(KINDS)}, "
                                f"or the path of a folder of your pictures")
        raise DreamlibError(f"no folder at {path}: check the path to your pictures")
    if not path.is_dir():
        raise DreamlibError(f"{path} is a file, not a folder: give the folder that holds your pictures")
    try:
        next(path.iterdir(), None)
    except PermissionError:
        raise no_permission(path) from None
    return path


def scan_image_folder(folder):
    """Pictures under ``folder`` (recursively): (usable paths, skipped [(path, reason)]), both sorted."""
    from tqdm.auto import tqdm

    folder = check_folder(folder)
    candidates = sorted(p for p in folder.rglob("*")
                        if p.suffix.lower() in IMAGE_EXTENSIONS and not _is_hidden(p, folder) and p.is_file())
    if not candidates:
        raise DreamlibError(f"no pictures in {folder} or its subfolders (dreamlib reads "
                            f"{', '.join(IMAGE_EXTENSIONS)}): put your pictures there")
    usable, skipped = [], []
    for path in tqdm(candidates, desc="checking pictures", unit="file", disable=len(candidates) < 500):
        reason = _problem(path)
        if reason is None:
            usable.append(path)
        else:
            skipped.append((path, reason))
    if not usable:
        path, reason = skipped[0]
        fix = "make them readable (chmod a+r)" if reason == NO_PERMISSION else "re-export them as JPEG or PNG"
        raise DreamlibError(f"none of the {len(skipped)} pictures in {folder} can be read "
                            f"(for example {path.name}: {reason}): {fix}")
    return usable, skipped


def epoch_order(count, seed, epoch):
    """The order of ``count`` pictures in epoch ``epoch``: fixed by (seed, epoch), so a resumed run repeats it."""
    return np.random.default_rng([int(seed), int(epoch)]).permutation(count)


class PictureFolder:
    """A checked folder of training pictures: the file names in memory, each picture read when needed."""

    def __init__(self, folder, image_size=(64, 64), channels=3):
        self.image_size = _check_shape(image_size)
        if channels not in (1, 3):
            raise DreamlibError(f"channels must be 1 (gray) or 3 (colour); got {channels!r}")
        self.folder, self.channels = Path(folder).expanduser(), channels
        self.paths, self.skipped = scan_image_folder(self.folder)

    def __len__(self):
        return len(self.paths)

    @property
    def image_shape(self):
        return (*self.image_size, self.channels)

    def dataset(self, batch_size=32, seed=0, epoch=None):
        """Shuffled float32 [-1, 1] batches, streamed.

        With ``epoch=None`` the order changes every time the dataset is read (seeded); with an
        ``epoch`` number it is ``epoch_order(len(self), seed, epoch)``, the same on every machine and run.
        A picture that breaks after the scan is dropped from the epoch and added to ``skipped``.
        """
        import tensorflow as tf

        batch_size = check_whole_number("batch_size", batch_size)
        if len(self.paths) < batch_size:
            raise DreamlibError(f"only {len(self.paths)} usable pictures in {self.folder} ({len(self.skipped)} "
                                f"skipped), fewer than one batch of {batch_size}: add pictures or lower batch_size")
        shape = self.image_shape
        blank = np.zeros(shape, np.float32)

        def load(path):
            path = path.decode()
            try:
                return load_training_picture(path, self.image_size, self.channels).astype(np.float32), True
            except (DreamlibError, OSError) as e:
                if all(str(p) != path for p, _ in self.skipped):
                    self.skipped.append((Path(path), f"unreadable while training: {e}"))
                return blank, False

        def load_tensor(path):
            img, ok = tf.numpy_function(load, [path], (tf.float32, tf.bool))
            img.set_shape(shape)
            return img, ok

        def loaded(img, ok):  # named functions: autograph cannot read a lambda's source and warns
            return ok

        def picture(img, ok):
            return img

        names = [str(p) for p in self.paths]
        if epoch is None:
            ds = tf.data.Dataset.from_tensor_slices(names)
            ds = ds.shuffle(len(names), seed=seed, reshuffle_each_iteration=True)  # file names only: cheap
        else:
            ds = tf.data.Dataset.from_tensor_slices([names[i] for i in epoch_order(len(names), seed, epoch)])
        ds = ds.map(load_tensor, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        ds = ds.filter(loaded).map(picture)
        return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def image_folder_dataset(folder, image_size=(64, 64), channels=3, batch_size=32, seed=0):
    """Stream a folder of pictures as shuffled float32 [-1, 1] batches: (dataset, usable count, skipped).

    Only file names sit in memory; each picture is opened when its batch is needed. A picture
    that breaks after the scan is dropped from the epoch and added to ``skipped``.
    """
    pictures = PictureFolder(folder, image_size, channels)
    return pictures.dataset(batch_size, seed), len(pictures), pictures.skipped

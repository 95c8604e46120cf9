"""Backbones: which networks dreamlib can dream with, their preprocessing, layers and weights.

Each backbone is described once in ``BACKBONES``: how to build it, how pixels are turned into
network input and back (its *preprocessing contract*), which layers are worth dreaming with,
the smallest image it accepts, and the file Keras caches its ImageNet weights in.

Weights come through Keras's own cache (``$KERAS_HOME/models``, default ``~/.keras/models``).
Three small files travel inside dreamlib (``dreamlib/weights``: MobileNetV2 for dreaming,
MobileNet v1 with its classifier, the class index): a cache that lacks one is filled from the
package, so those networks need no download. Every other file comes from Keras's download; when
it cannot, ``WeightsMissingError`` names the file, the folder it belongs in, and the command
that imports it from a folder (for an offline room).
"""

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dreamlib import settings
from dreamlib.errors import DreamlibError, WeightsMissingError, no_permission
from dreamlib.files import TEMP_TAG, atomic_write, remove_stale_temps

_KERAS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
CLASS_INDEX = ("imagenet_class_index.json",
               "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
               "c2c37ea517e94d9795004a39431a14cb")
UNTRAINED = "random (untrained)"


@dataclass(frozen=True)
class WeightsFile:
    """One file of pretrained weights, under the name Keras caches it with."""

    name: str
    origin: str
    md5: str = None  # None: Keras publishes no hash for this file


@dataclass(frozen=True)
class BackboneSpec:
    """Everything dreamlib needs to know about one network."""

    name: str
    title: str
    keras_name: str                 # the function in keras.applications
    mode: str                       # preprocessing contract: "caffe" (VGG, ResNet) or "tf" ([-1, 1])
    # caffe inputs are in pixel units, 127.5 times the [-1, 1] scale, so their steps are bigger
    layer_pattern: str              # regex of the dreamable layers
    default_layers: dict            # recommended layers and weights for a dream
    min_size: int                   # smallest input side the network accepts
    notop: WeightsFile
    top: WeightsFile = None         # with classifier, for classify()
    classifier_size: int = 224
    step_size: float = 0.01         # default ascent step, in this network's input units
    kwargs: dict = field(default_factory=dict)  # extra arguments for the Keras builder
    guide_layer: str = None         # the layer guided dreams match; None: the deepest default layer


def _w(folder, name, md5=None):
    return WeightsFile(name, f"{_KERAS_URL}{folder}/{name}", md5)


BACKBONES = {
    spec.name: spec
    for spec in [
        BackboneSpec(
            "inception_v3", "InceptionV3 (articles B and D)", "InceptionV3", "tf",
            r"^mixed\d+$", {"mixed4": 1.0, "mixed5": 1.5, "mixed6": 2.0, "mixed7": 2.5}, 75,
            _w("inception_v3", "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "bcbd6486424b2319ff4ef7d526e38f63"),
            _w("inception_v3", "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
               "9a0d58056eeedaa3f26cb7ebd46da564"), 299),
        BackboneSpec(
            "vgg19", "VGG19 (article A)", "VGG19", "caffe",
            r"^block\d_(conv\d|pool)$", {"block2_pool": 0.5, "block5_pool": 1.2}, 32,
            _w("vgg19", "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "253f8cb515780f3b799900260a226db6"),
            _w("vgg19", "vgg19_weights_tf_dim_ordering_tf_kernels.h5",
               "cbe5617147190e668d6c5d5026f83318"), step_size=2.55),
        BackboneSpec(
            "resnet50", "ResNet50 (article C)", "ResNet50", "caffe",
            r"^conv\d_block\d_out$", {"conv4_block6_out": 1.0}, 32,
            _w("resnet", "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "4d473c1dd8becc155b73f8504c6f6626"),
            _w("resnet", "resnet50_weights_tf_dim_ordering_tf_kernels.h5",
               "2cb95161c43110f7111970584f804107"), step_size=2.55),
        BackboneSpec(
            "mobilenet_v2", "MobileNetV2, alpha 0.5 (small, laptop-friendly)", "MobileNetV2", "tf",
            r"^(block_\d+_expand_relu|out_relu)$",
            {"block_8_expand_relu": 0.5, "block_12_expand_relu": 1.0}, 32,
            _w("mobilenet_v2", "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5",
               "d6a3df6c62e29540cab066ef669bd51f"),
            _w("mobilenet_v2", "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224.h5"),
            # block_15 tells a guide's parts apart (a cat's eyes and fur, a cup's rims); block_12
            # turned every guide into the same eye rings
            kwargs={"alpha": 0.5}, guide_layer="block_15_expand_relu"),
        BackboneSpec(
            "mobilenet", "MobileNet v1, alpha 0.25 (tiny)", "MobileNet", "tf",
            r"^conv_pw_\d+_relu$", {"conv_pw_5_relu": 1.0, "conv_pw_8_relu": 1.0}, 32,
            _w("mobilenet", "mobilenet_2_5_224_tf_no_top.h5", "f313cee49f5d33dfb06f2b255c4adb64"),
            _w("mobilenet", "mobilenet_2_5_128_tf.h5", "8ef07e656c29ed236576fed9fdd37ce8"), 128,
            kwargs={"alpha": 0.25}),
    ]
}
DEFAULT_MODEL = "inception_v3"
# Order in which a default run falls back to another model whose weights are at hand.
FALLBACK_ORDER = ("inception_v3", "vgg19", "resnet50", "mobilenet_v2", "mobilenet")
# Weight files shipped inside dreamlib (see dreamlib/weights/CREDITS.md), with their sha256.
BUNDLED_DIR = Path(__file__).parent / "weights"
BUNDLED_SHA256 = {
    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5":
        "279052de2cfa801003aa6cc25cc4d007d35dd0b76f06935268c79788b7642d05",
    "mobilenet_2_5_128_tf.h5": "fe295db7f78635f1403127e3ba8cdc6237f83262bdb745063a67c1d81190c7f8",
    CLASS_INDEX[0]: "a1e7a966a1f601d39e4b43e119b3e7dd4a2ad3ea08cf69847cbaf021013767bc",
}
BUNDLED_MODEL = "mobilenet_v2"  # dreams with no download (MobileNet v1 with its top classifies)
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)


def available_models():
    """Names of the backbones dreamlib knows."""
    return list(BACKBONES)


def get_spec(name):
    """The ``BackboneSpec`` called ``name``, or one clear error listing the choices."""
    if name not in BACKBONES:
        raise DreamlibError(f"unknown model {name!r}: choose one of {', '.join(BACKBONES)}")
    return BACKBONES[name]


# ----------------------------------------------------------------------------- preprocessing

def preprocess(spec, img):
    """Pixels in [0, 255] RGB -> network input, following ``spec``'s contract (works on tensors).

    "tf" mode scales to [-1, 1] (Inception, MobileNet). "caffe" mode flips RGB to BGR and
    subtracts the ImageNet channel means, without scaling (VGG, ResNet): the same as
    ``keras.applications.vgg19.preprocess_input``.
    """
    spec = get_spec(spec) if isinstance(spec, str) else spec
    if spec.mode == "tf":
        return img / 127.5 - 1.0
    return img[..., ::-1] - _CAFFE_MEAN_BGR


def deprocess(spec, x):
    """Network input -> pixels in [0, 255] RGB: the exact inverse of ``preprocess`` (unclipped)."""
    spec = get_spec(spec) if isinstance(spec, str) else spec
    if spec.mode == "tf":
        return (x + 1.0) * 127.5
    return (x + _CAFFE_MEAN_BGR)[..., ::-1]


def input_range(spec):
    """(low, high) per channel of valid network input: where pixels 0 and 255 land."""
    low = preprocess(spec, np.zeros(3, np.float32))
    high = preprocess(spec, np.full(3, 255.0, np.float32))
    return np.asarray(low, np.float32), np.asarray(high, np.float32)


# ----------------------------------------------------------------------------- weights

def cache_dir():
    """Folder where Keras caches model weights: ``$KERAS_HOME/models`` (default ``~/.keras``)."""
    home = os.environ.get("KERAS_HOME")
    if not home:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    return Path(home) / "models"


def known_weight_files():
    """Every weights file dreamlib can use, by file name (plus the ImageNet class index)."""
    files = {CLASS_INDEX[0]: WeightsFile(*CLASS_INDEX)}
    for spec in BACKBONES.values():
        for wf in (spec.notop, spec.top):
            if wf is not None:
                files[wf.name] = wf
    return files


def _file_hash(path, algorithm="md5"):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_weights_file(path, wf):
    """Raise ``DreamlibError`` unless ``path`` is a sound copy of ``wf``: its checksum, or, for a
    file Keras publishes none for, the network it belongs to loads it (every layer and shape fits)."""
    path = Path(path)
    if wf.md5 is not None:
        if _file_hash(path) != wf.md5:
            raise DreamlibError(f"{path} is damaged or not Keras's file (checksum differs): download it again")
        return
    network = next(((spec, wf == spec.top) for spec in BACKBONES.values() if wf in (spec.notop, spec.top)), None)
    if network is None:
        raise DreamlibError(f"dreamlib cannot check {path.name} (no checksum, no network of its own): "
                            f"let Keras download it instead")
    spec, include_top = network
    try:
        with open(path, "rb"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _build(spec, path, include_top)
    except PermissionError:
        raise
    except Exception:  # h5py's OSError for a damaged file, Keras's ValueError for another network's layers
        raise DreamlibError(f"{path} is not a readable Keras weights file for {spec.name}"
                            f"{' with its classifier' if include_top else ''} (another network's file, or "
                            f"damaged): download it again") from None


def _missing_message(wf, what):
    return (f"{what} needs the pretrained weights file {wf.name}, which is not in {cache_dir()} "
            f"and could not be downloaded (offline?): copy it there, or run "
            f"`dreamlib weights import FOLDER` on a folder that holds it")


def bundled_file(name):
    """The copy of weights file ``name`` shipped inside dreamlib, or None."""
    path = BUNDLED_DIR / name
    return path if name in BUNDLED_SHA256 and path.is_file() else None


def copy_new_file(source, target):
    """Copy ``source`` to ``target`` atomically, never replacing a file already at ``target``.

    The copy has the permissions of any new file (the umask applies). Returns True when this
    call made ``target``, False when a file was already there (it is left exactly as it was).
    """
    target = Path(target)
    remove_stale_temps(target.parent)  # those of a killed run
    tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_TAG}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as f:
            shutil.copyfileobj(f, out)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, target)  # fails when target exists: a file there is never replaced
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links
            if target.exists():
                return False
            os.replace(tmp, target)
        return True
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _from_package(wf, path):
    """Fill the cache entry ``path`` from dreamlib's bundled copy of ``wf`` (or use that copy)."""
    bundled = bundled_file(wf.name)
    if _file_hash(bundled, "sha256") != BUNDLED_SHA256[wf.name]:
        raise DreamlibError(f"dreamlib's bundled {bundled} is damaged: reinstall dreamlib "
                            f"(pip install --force-reinstall dreamlib)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        copy_new_file(bundled, path)
    except OSError:  # a read-only cache (a shared KERAS_HOME): read the package's copy in place
        return bundled
    return path


class _HeldUntilDataFlows:
    """stdout that holds Keras's "Downloading data from ..." line until its progress bar moves,
    so that an offline attempt (no progress, only an error) prints nothing."""

    def __init__(self, stream):
        self.stream, self.held, self.flowing = stream, [], False

    def write(self, text):
        if self.flowing:
            return self.stream.write(text)
        self.held.append(text)
        if not text.startswith("Downloading data from"):  # the progress bar: a download is under way
            self.flowing = True
            self.stream.write("".join(self.held))
        return len(text)

    def flush(self):
        if self.flowing:
            self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


@contextlib.contextmanager
def _quiet_until_data_flows():
    import sys

    held = _HeldUntilDataFlows(sys.stdout)
    with contextlib.redirect_stdout(held):
        yield


def fetch_weights_file(wf, what="this model", download=True):
    """Path of ``wf`` in the Keras cache: there already, filled from dreamlib's bundled copy, or
    downloaded once by Keras's ``get_file`` (not with ``download=False`` or ``DREAMLIB_OFFLINE=1``).
    """
    path = cache_dir() / wf.name
    if path.is_file():
        return path
    if bundled_file(wf.name) is not None:
        return _from_package(wf, path)
    if download and not settings.offline():
        import keras

        try:
            with _quiet_until_data_flows():
                return Path(keras.utils.get_file(wf.name, wf.origin, cache_subdir="models",
                                                 cache_dir=str(cache_dir().parent), file_hash=wf.md5))
        except Exception:  # Keras raises a bare Exception for every network failure
            pass
    raise WeightsMissingError(_missing_message(wf, what))


def weights_file(name, include_top=False):
    """The ``WeightsFile`` of ``name``'s ImageNet weights, with or without its classifier."""
    spec = get_spec(name)
    return spec.top if include_top else spec.notop


def weights_state(wf):
    """Where ``wf`` would come from now: "cached", "bundled" (inside dreamlib) or "missing"."""
    if (cache_dir() / wf.name).is_file():
        return "cached"
    return "bundled" if bundled_file(wf.name) is not None else "missing"


def weights_cached(name, include_top=False):
    """True when ``name``'s ImageNet weights are already in the Keras cache."""
    wf = weights_file(name, include_top)
    return wf is not None and (cache_dir() / wf.name).is_file()


def weights_available(name, include_top=False):
    """True when ``name``'s ImageNet weights load with no download (cached, or bundled with dreamlib)."""
    wf = weights_file(name, include_top)
    return wf is not None and weights_state(wf) != "missing"


def weights_status():
    """One row per weights file: (model, with_top, file name, cached path or None)."""
    rows = []
    for spec in BACKBONES.values():
        for top, wf in ((False, spec.notop), (True, spec.top)):
            if wf is not None:
                path = cache_dir() / wf.name
                rows.append((spec.name, top, wf.name, path if path.is_file() else None))
    return rows


def import_weights(folder):
    """Copy every known weights file found in ``folder`` into the Keras cache, checking each.

    Returns (imported, skipped): file names copied, and (file name, reason) for the rest.
    """
    folder = Path(folder).expanduser()
    try:
        paths = sorted(folder.iterdir())
    except PermissionError:
        raise no_permission(folder) from None
    except OSError:
        raise DreamlibError(f"{folder} is not a folder: give the folder that holds the .h5 weight files") from None
    known = known_weight_files()
    target = cache_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
        probe, probe_path = tempfile.mkstemp(prefix=".dreamlib-probe.", dir=target)
        os.close(probe)
        os.unlink(probe_path)
    except OSError as e:
        raise DreamlibError(f"cannot write into the Keras cache folder {target} ({e.strerror}): set KERAS_HOME "
                            f"to a folder you can write to (the cache is $KERAS_HOME/models)") from None
    imported, skipped = [], []
    for path in paths:
        if not path.is_file() or path.name.startswith("."):
            continue
        wf = known.get(path.name)
        if wf is None:
            skipped.append((path.name, "not a weights file dreamlib knows"))
            continue
        try:
            check_weights_file(path, wf)
        except PermissionError:
            skipped.append((path.name, str(no_permission(path))))
            continue
        except DreamlibError as e:
            skipped.append((path.name, str(e)))
            continue
        # atomic, with the usual mode (readable by every user of a shared classroom cache); a full
        # disk is one line and leaves the cache as it was
        atomic_write(target / path.name, lambda tmp, path=path: shutil.copyfile(path, tmp), overwrite=True,
                     example=path.name)
        imported.append(path.name)
    return imported, skipped


# ----------------------------------------------------------------------------- building

@dataclass
class Backbone:
    """A built network with its spec; ``untrained`` is True when it has random weights."""

    spec: BackboneSpec
    model: object
    untrained: bool

    @property
    def name(self):
        return self.spec.name

    @property
    def weights_label(self):
        return UNTRAINED if self.untrained else "imagenet"

    @property
    def description(self):
        """Which network and which weights: every picture should say so."""
        if self.untrained:
            return f"{self.spec.keras_name} - UNTRAINED network (random weights)"
        return f"{self.spec.keras_name} - ImageNet weights"

    def preprocess(self, img):
        return preprocess(self.spec, img)

    def deprocess(self, x):
        return deprocess(self.spec, x)

    def to_pixels(self, x):
        """Network input back to a displayable float RGB picture, clipped to [0, 255]."""
        return np.clip(deprocess(self.spec, np.asarray(x, np.float32)), 0, 255).astype(np.float32)


def _build(spec, weights_path, include_top):
    """The Keras model: any input size for dreaming, the classifier's own size with the top."""
    import keras

    builder = getattr(keras.applications, spec.keras_name)
    side = spec.classifier_size if include_top else None
    weights = None if weights_path is None else str(weights_path)
    return builder(weights=weights, include_top=include_top, input_shape=(side, side, 3), **spec.kwargs)


_announced = set()  # the weight files whose untrained stand-in this process has announced


def _announce_untrained(name, wf):
    """The one notice for a missing network: a line on stderr (a box in Jupyter), once per file and process."""
    if wf.name in _announced:
        return
    _announced.add(wf.name)
    print(f"dreamlib: {name} runs UNTRAINED (random weights: {wf.name} is not in the Keras cache); "
          f"every picture it makes is labelled so, none is a real dream", file=sys.stderr, flush=True)


def load_backbone(name, weights="imagenet", include_top=False, allow_random=None):
    """Build backbone ``name`` with ImageNet weights (``weights="imagenet"``) or random ones (``None``).

    When the ImageNet file is missing and cannot be downloaded, raise ``WeightsMissingError`` -
    unless ``allow_random`` (default: the ``DREAMLIB_ALLOW_RANDOM_WEIGHTS`` switch) permits an
    untrained stand-in, which is then announced in one line (once per file) and marked ``untrained``.
    """
    spec = get_spec(name)
    if weights not in ("imagenet", None):
        raise DreamlibError(f"weights must be 'imagenet' or None (random); got {weights!r}")
    if include_top and spec.top is None:
        raise DreamlibError(f"{name} has no classifier weights in dreamlib: use include_top=False")
    if weights is None:
        return Backbone(spec, _build(spec, None, include_top), untrained=True)
    wf = spec.top if include_top else spec.notop
    try:
        path = fetch_weights_file(wf, what=spec.name)
    except WeightsMissingError:
        if allow_random is None:
            allow_random = settings.random_weights_allowed()
        if not allow_random:
            raise
        _announce_untrained(name, wf)
        return Backbone(spec, _build(spec, None, include_top), untrained=True)
    try:
        model = _build(spec, path, include_top)
    except (ValueError, OSError) as e:
        raise DreamlibError(f"{path} could not be loaded into {name} ({e.__class__.__name__}): "
                            f"delete it and download or import it again") from None
    return Backbone(spec, model, untrained=False)


def best_available_model(include_top=False):
    """The first model in ``FALLBACK_ORDER`` whose ImageNet weights are cached or bundled, or None."""
    for name in FALLBACK_ORDER:
        if weights_available(name, include_top):
            return name
    return None


def choose_default_model(default=DEFAULT_MODEL, download=True):
    """The model for a run that names none, and one line saying so when it is not ``default``.

    ``default`` when its weights are cached or (with ``download``) Keras can download them;
    otherwise the best model whose weights are at hand, such as the bundled MobileNetV2. When
    no other model has weights either, ``default`` (whose loading then says what is missing).
    """
    if weights_cached(default):
        return default, None
    if download:
        try:
            fetch_weights_file(get_spec(default).notop, what=default)
            return default, None
        except WeightsMissingError:
            pass
    fallback = best_available_model()
    if fallback is None or fallback == default:
        return default, None
    if weights_file(fallback).name in BUNDLED_SHA256:
        instead = f"the bundled {fallback} (real ImageNet weights)"
    else:
        instead = f"{fallback}, whose ImageNet weights are cached,"
    why = "are not cached and could not be downloaded" if download else "are not cached"
    return fallback, f"{default} weights {why}: dreaming with {instead} instead"


# ----------------------------------------------------------------------------- layers

def dreamable_layers(backbone):
    """[(layer name, output shape)] of the layers worth dreaming with, shallow to deep."""
    pattern = re.compile(backbone.spec.layer_pattern)
    return [(layer.name, tuple(layer.output.shape)) for layer in backbone.model.layers
            if pattern.match(layer.name)]


def branch_layer(backbone, layer, index=0):
    """Name, in this build, of the layer whose output is input ``index`` of ``layer``.

    Keras names unnamed layers by counting (``activation_41``), so such a name depends on what
    was built before in the session; a layer's place in the graph does not. Article D's
    ``activation_41`` is ``branch_layer(inception, "mixed5", 0)``: mixed5's 1x1 branch.
    """
    try:
        inputs = backbone.model.get_layer(layer).input
    except ValueError:
        raise DreamlibError(f"{backbone.name} has no layer called {layer!r}: run `dreamlib layers "
                            f"{backbone.name}` to list them") from None
    inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    if not 0 <= index < len(inputs):
        raise DreamlibError(f"{layer} has {len(inputs)} input(s) (0..{len(inputs) - 1}); "
                            f"input {index} does not exist")
    return next(other.name for other in backbone.model.layers if other.output is inputs[index])


def feature_extractor(backbone, layers):
    """A Keras model mapping network input to a list of the activations of ``layers``."""
    import keras

    names = list(layers)
    if not names:
        raise DreamlibError("name at least one layer to dream with")
    known = {layer.name for layer in backbone.model.layers}
    for name in names:
        if name not in known:
            examples = ", ".join(n for n, _ in dreamable_layers(backbone)[:6])
            raise DreamlibError(
                f"{backbone.name} has no layer called {name!r}: run `dreamlib layers "
                f"{backbone.name}` to list them (for example {examples})")
    outputs = [backbone.model.get_layer(name).output for name in names]
    return keras.Model(inputs=backbone.model.input, outputs=outputs, name=f"{backbone.name}_features")


# ----------------------------------------------------------------------------- classes

def class_names():
    """The 1000 ImageNet class names, from Keras's cached class index."""
    path = fetch_weights_file(WeightsFile(*CLASS_INDEX), what="decoding ImageNet predictions")
    with open(path) as f:
        index = json.load(f)
    return [index[str(i)][1] for i in range(len(index))]


def class_index(name):
    """The index (0-999) of ImageNet class ``name``, such as "tabby" or "espresso"."""
    names = class_names()
    if name not in names:
        close = [n for n in names if name.lower() in n.lower()][:5]
        raise DreamlibError(f"ImageNet has no class called {name!r}"
                            + (f": did you mean {', '.join(close)}?" if close else
                               ": see dreamlib.models.class_names() for the 1000 names"))
    return names.index(name)


def decode_predictions(probabilities, top=5):
    """[(class name, probability)] of the ``top`` classes for one prediction vector."""
    probabilities = np.asarray(probabilities).reshape(-1)
    names = class_names()
    best = np.argsort(probabilities)[::-1][:top]
    return [(names[i], float(probabilities[i])) for i in best]


def classify(backbone, img, top=5):
    """Classify one [0, 255] RGB image with a backbone built with ``include_top=True``."""
    from dreamlib.images import resize_image

    size = backbone.spec.classifier_size
    x = backbone.preprocess(resize_image(img, (size, size)))[None]
    probabilities = np.asarray(backbone.model(x, training=False))[0]
    return decode_predictions(probabilities, top)

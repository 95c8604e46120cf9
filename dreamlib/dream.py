"""The whole DeepDream, composed: model -> objective -> octaves of (rolled, tiled) gradient ascent.

``dream(image)`` is the one-call version; ``Dreamer`` keeps a built model and its compiled
gradient so that several dreams (a notebook's comparison grid) do not rebuild anything.
"""

import functools
import time
import json
from dataclasses import asdict, dataclass, field

import numpy as np
import tensorflow as tf

from dreamlib import knobs
from dreamlib import settings as switches
from dreamlib.errors import DreamlibError
from dreamlib.images import UNTRAINED_LABEL, resize_image, save_image, show, stamp_untrained  # noqa: F401 (re-export)
from dreamlib.models import get_spec, load_backbone
from dreamlib.objectives import Objective, weighted_layers
from dreamlib.octaves import octave_shapes, octave_start, resize
from dreamlib.render import LossGradient, dream_knobs, dream_loop
from dreamlib.tiles import memory_budget, needs_tiles, plan_tiles, tile_slices, tile_windows, windows_at_once


AUTO_JITTER = 512   # the roll of tiles sized for memory (B's tile), and the size below which none are cut


@dataclass
class DreamSettings:
    """Every knob of a dream, each checked as it is set; ``DreamSettings.quick()`` is fast on a CPU.

    The help, ranges and quick values of each field are in ``dreamlib.knobs.SETTINGS`` (one
    description for the library, the command line, the explorer and the saved record); a test
    keeps the fields and defaults here equal to that table.
    """

    steps: int = 20                  # ascent steps per octave
    step_size: float = None          # None: the model's own (0.01 on [-1, 1] inputs)
    octaves: int = 3                 # a count, or a list of exponents of octave_scale
    octave_scale: float = 1.4        # size ratio between octaves
    lost_detail: bool = True         # reinject the detail lost by shrinking (article D)
    tile_size: int = None            # tiles for bigger pictures; 0 never tiles; None: sized for memory
    tile_margin: int = 64            # context around each tile: no seams
    memory_budget: int = None        # MiB the tiles may use; None: a quarter of the free memory
    jitter: int = None               # largest random roll; None: the tile size when tiled, else 0
    normalize: str = "mean_abs"      # mean_abs (A, C, D), std (B) or l2
    max_loss: float = None           # stop an octave once the loss passes this
    seed: int = None                 # fixes the random rolls (and random weights)
    precision: str = "float32"       # float32, or mixed (16-bit network, see dreamlib.precision)

    NAMES = ("steps", "step_size", "octaves", "octave_scale", "lost_detail", "tile_size", "tile_margin",
             "memory_budget", "jitter", "normalize", "max_loss", "seed", "precision")

    def __post_init__(self):
        self.check()

    def check(self):
        """Check every knob again (a field may have been set since): one line naming the fix."""
        for name, value in knobs.check(asdict(self)).items():
            setattr(self, name, value)

    @classmethod
    def quick(cls, **overrides):
        """Settings that finish in seconds on a laptop CPU and still change the picture visibly.

        On a 256-px picture (the quick size) 15 steps x 4 octaves move the cat by about 13 grey
        levels on average with MobileNetV2; 5 x 2 moved it by 4, which looks unchanged.
        """
        return cls(**{**knobs.defaults(quick=True, names=cls.NAMES), **overrides})

    @classmethod
    def default(cls, **overrides):
        """Quick settings under ``DREAMLIB_QUICK=1``, else the full ones."""
        return cls.quick(**overrides) if switches.is_quick() else cls(**overrides)

    def as_record(self):
        """The settings as plain JSON values (a range of octaves becomes a list), for the saved record."""
        return {k: (list(v) if isinstance(v, range) else v) for k, v in asdict(self).items()}


@dataclass
class DreamRecord:
    """What was done: enough to repeat the dream and to judge it."""

    model: str
    weights: str
    objective: str
    settings: dict
    input_shape: tuple
    octave_shapes: list = field(default_factory=list)
    losses: list = field(default_factory=list)        # one list of losses per octave
    stopped_early: list = field(default_factory=list)  # one flag per octave
    tiles: list = field(default_factory=list)          # tiles per step, per octave
    tile_sizes: list = field(default_factory=list)     # the tile size each octave used (0: whole), as planned
    seconds: float = 0.0
    interrupted: bool = False
    recipe: dict = None   # {"layers": {layer: weight}, "objective": kind, "border": n, "channels": text}
    max_size: int = None  # the longest side the input was shrunk to (None: its own size), for a replay

    @property
    def untrained(self):
        return self.weights != "imagenet"

    def as_text(self):
        """A dict of strings, for PNG metadata and for printing."""
        data = asdict(self)
        return {f"dreamlib:{key}": value if isinstance(value, str) else json.dumps(value)
                for key, value in data.items()}


@dataclass
class DreamResult:
    """The dreamed picture (float RGB in [0, 255]) and its record."""

    image: np.ndarray
    record: DreamRecord

    @property
    def untrained(self):
        return self.record.untrained

    def labelled_image(self):
        """The picture, with a visible warning stamped on it when the network was untrained."""
        return stamp_untrained(self.image, self.untrained)

    def save(self, path, overwrite=False, protect=()):
        """Save atomically, with the record as PNG metadata and the untrained warning stamped."""
        return save_image(self.labelled_image(), path, overwrite=overwrite, protect=protect,
                          metadata=self.record.as_text())

    def show(self, title=None):
        return show(self.image, title or f"{self.record.model}: {self.record.objective}", untrained=self.untrained)


def check_picture(image):
    """``image`` as float32 RGB in [0, 255], or one line naming the fix."""
    if image is None or isinstance(image, (str, bytes)):
        raise DreamlibError(f"the picture must be an RGB array; got {type(image).__name__}: "
                            f"load files with dreamlib.images.load_image")
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise DreamlibError(f"an image is (height, width, 3) RGB; got shape {image.shape}")
    if not np.isfinite(image).all():
        raise DreamlibError("the picture holds NaN or infinite values: load it again or np.nan_to_num it")
    if image.size and image.max() <= 1.0 and image.min() >= 0.0 and image.max() > 0:
        raise DreamlibError("the picture's values are all in [0, 1]: dreamlib pictures are in [0, 255], "
                            "so multiply it by 255")
    return image


def fit_problems(shape, settings, spec):
    """Why a picture of ``shape`` (None: not known yet) cannot be dreamed with ``settings`` on the
    network ``spec``: one line each, naming the fix (empty when it can)."""
    found = []
    if shape is not None:
        try:
            octave_shapes(shape[:2], settings.octaves, settings.octave_scale, spec.min_size)
        except DreamlibError as e:
            found.append(str(e))
    if settings.tile_size is not None and 0 < settings.tile_size < spec.min_size:
        found.append(f"tile_size {settings.tile_size} is below {spec.name}'s minimum input of {spec.min_size} px: "
                     f"use 0 (never tile) or at least {spec.min_size}")
    return found


def default_objective(model, layers=None, kind="sum_of_squares", border=0, channels=None):
    """The weighted-layer objective for ``model``: ``layers`` ({name: weight}) or its defaults.

    ``channels`` ({layer: [channel indices]}, see ``dreamlib.channels``) keeps only those channels.
    """
    checked = knobs.check({"objective": kind, "border": border})
    return weighted_layers(layers or get_spec(model).default_layers, checked["objective"], checked["border"],
                           channels)


def channel_objective(backbone, layers=None, kind="sum_of_squares", border=0, channels=None, picture=None):
    """``default_objective`` on ``backbone`` with only the ``channels`` knob's channels of each layer.

    ``channels``: "3,7,12", "strongest:5" or "weakest:5" (ranked on ``picture``), or None for all;
    the recipe (saved with each picture) keeps the knob's text.
    """
    made = default_objective(backbone.name, layers, kind, border)
    if channels is None:
        return made
    from dreamlib.channels import choose_channels

    knobs.knob("channels").check(channels)
    chosen = choose_channels(backbone, made.recipe["layers"], channels, picture)
    recipe = {**made.recipe, "channels": channels}
    made = default_objective(backbone.name, made.recipe["layers"], kind, border, chosen)
    made.recipe = recipe
    return made


class Dreamer:
    """A backbone, an objective and their compiled gradient, ready to dream many times."""

    def __init__(self, model="inception_v3", objective=None, weights="imagenet", backbone=None,
                 allow_random=None):
        self.backbone = backbone or load_backbone(model, weights=weights, allow_random=allow_random)
        if objective is None:
            objective = default_objective(self.backbone.name)
        elif isinstance(objective, dict):
            objective = default_objective(self.backbone.name, objective)
        if not isinstance(objective, Objective):
            raise DreamlibError("objective must be an Objective or a {layer: weight} dict")
        self.objective = objective
        self.gradient = LossGradient(self.backbone, objective)
        self.gradients = {"float32": self.gradient}   # one per precision, built when first dreamed with

    @property
    def untrained(self):
        return self.backbone.untrained

    def gradient_for(self, precision="float32"):
        """The compiled gradient computing in ``precision`` (``self.gradient`` for float32)."""
        if precision not in self.gradients:
            self.gradients[precision] = LossGradient(self.backbone, self.objective, precision)
        return self.gradients[precision]

    def dream(self, image, settings=None, progress=True, on_octave=None, on_step=None, **overrides):
        """Dream on ``image`` (float RGB [0, 255]) and return a ``DreamResult``.

        ``settings`` is a ``DreamSettings`` (default: ``DreamSettings.default()``), ``overrides``
        change single fields. ``on_octave(index, picture)`` is called after every octave with the
        picture so far (for live previews); ``on_step(octave, step, loss)`` after every ascent
        step. Either returning False (a Stop button), or Ctrl-C, ends the dream with the picture
        made so far, its record marked ``interrupted``.
        """
        from tqdm.auto import tqdm

        s = self.settings_for(image, settings, overrides)
        image = check_picture(image)
        shapes = octave_shapes(image.shape[:2], s.octaves, s.octave_scale, self.backbone.spec.min_size)
        record = DreamRecord(self.backbone.name, self.backbone.weights_label, self.objective.description,
                             s.as_record(), tuple(image.shape[:2]), octave_shapes=shapes,
                             recipe=self.objective.recipe)
        loop = dream_loop(self.gradient_for(s.precision), s.normalize, s.seed)
        start = time.perf_counter()
        original = x = self.backbone.preprocess(tf.constant(image))
        bar = tqdm(total=s.steps * len(shapes), desc="dreaming", disable=not progress, leave=True)
        try:
            for index, shape in enumerate(shapes):
                x = octave_start(x, original, shapes, index, s.lost_detail)
                bar.set_description(f"octave {index + 1}/{len(shapes)} {shape[1]}x{shape[0]}")  # width x height
                tile_size, batch = self.tiles_for(shape, s)
                record.tiles.append(len(tile_slices(shape, tile_size)) if needs_tiles(shape, tile_size) else 1)
                record.tile_sizes.append(int(tile_size) if needs_tiles(shape, tile_size) else 0)
                step_hook = None if on_step is None else functools.partial(on_step, index)
                run = loop.run(x, s.steps, dream_knobs(shape, s.step_size, self.jitter(s, shape), tile_size,
                                                       s.tile_margin, batch), max_loss=s.max_loss, on_step=step_hook,
                               progress=bar)
                x = run.params
                record.losses.append(run.losses)
                record.stopped_early.append(run.stopped_early)
                bar.update(s.steps - len(run.losses) if run.stopped_early else 0)
                record.interrupted = run.interrupted or (
                    on_octave is not None and on_octave(index, self._to_pixels(x, image.shape)) is False)
                if record.interrupted:
                    break
        except KeyboardInterrupt:
            record.interrupted = True
        finally:
            bar.close()
        record.seconds = time.perf_counter() - start
        return DreamResult(self._to_pixels(x, image.shape), record)

    def settings_for(self, image, settings=None, overrides=None):
        """``settings`` (default ``DreamSettings.default()``) with ``overrides``, checked for ``image``."""
        s = settings or DreamSettings.default()
        if overrides:
            s = DreamSettings(**{**asdict(s), **overrides})
        if s.step_size is None:
            s = DreamSettings(**{**asdict(s), "step_size": self.backbone.spec.step_size})
        s.check()
        problems = fit_problems(check_picture(image).shape, s, self.backbone.spec)
        if problems:
            raise DreamlibError(problems[0])
        return s

    def tiles_for(self, shape, s):
        """(tile_size, windows at once) for an octave of ``shape``: the setting, else sized for the memory
        budget (``dreamlib.tiles.plan_tiles``); a picture no bigger than 512 px is never tiled by itself.
        Windows of a set tile size go through the network as many at once as the budget holds. The
        budget counts float32 activations, also for a mixed-precision gradient (half of that): safe."""
        if s.tile_size is not None:
            if not needs_tiles(shape, s.tile_size) or not s.tile_margin:
                return s.tile_size, 1
            rows, cols = tile_windows(shape, s.tile_size, s.tile_margin)[0][1]   # every window has its size
            return s.tile_size, windows_at_once((rows.stop - rows.start) * (cols.stop - cols.start),
                                                self.gradient.bytes_per_pixel, memory_budget(s.memory_budget))
        if max(shape) <= AUTO_JITTER:   # fits any budget worth having: no need to measure the network
            return 0, 1
        return plan_tiles(shape, s.tile_margin, self.gradient.bytes_per_pixel, memory_budget(s.memory_budget))

    @staticmethod
    def jitter(s, shape):
        """The largest roll of an octave of ``shape``: the setting, else a tile when tiled (article B).

        Tiles sized for memory (``tile_size`` None) roll by B's 512 px on any picture over 512 px, so
        that a seeded dream rolls the same on every machine, whatever its memory made of the tiles.
        """
        if s.jitter is not None:
            return s.jitter
        if s.tile_size is None:
            return AUTO_JITTER if max(shape) > AUTO_JITTER else 0
        return s.tile_size if needs_tiles(shape, s.tile_size) else 0

    def _to_pixels(self, x, shape):
        """Back to an RGB picture of the input's size (article A resizes back, too)."""
        return self.backbone.to_pixels(resize(x, shape[:2]))


def choose_model(model=None, weights="imagenet", download=True, say=print, default=None):
    """The network to dream with: ``model`` if named, else ``default`` (inception_v3) or the best one at hand.

    Falling back (at least to the bundled MobileNetV2) is said in one line through ``say``; a
    model named is never swapped, and an untrained run (``weights=None``) needs no weights.
    """
    from dreamlib.models import DEFAULT_MODEL, choose_default_model, get_spec

    if model is not None:
        return get_spec(model).name
    if weights is None:
        return default or DEFAULT_MODEL
    model, note = choose_default_model(default or DEFAULT_MODEL, download=download)
    if note and say is not None:
        say(note)
    return model


def build_dreamer(model=None, layers=None, objective="sum_of_squares", border=0, weights="imagenet",
                  allow_random=None, seed=None, objective_for=None, backbone=None, say=print, default=None,
                  channels=None, picture=None):
    """The one way to build a ``Dreamer`` (the library, the command line and the explorer use it).

    ``model``: see ``choose_model``. ``weights=None`` builds an untrained network (its pictures
    are stamped UNTRAINED); ``allow_random`` lets missing weights fall back to one (default: the
    ``DREAMLIB_ALLOW_RANDOM_WEIGHTS`` switch). ``seed`` fixes every random number, random
    weights included. ``layers`` ({layer: weight} or "layer:weight,...", default the model's) and
    ``objective`` (a kind, see ``dreamlib.knobs``) make the objective, unless ``objective_for(backbone)``
    builds another one (a guided dream). ``backbone`` reuses a network already built. ``channels``
    (the knob's text: "3,7,12", "strongest:5" or "weakest:5") keeps only those channels of each
    layer, the strongest and weakest ranked on ``picture``.
    """
    if seed is not None:
        import keras

        keras.utils.set_random_seed(knobs.knob("seed").check(seed))  # the same random network for a seed
    if backbone is None:
        from dreamlib.models import load_backbone

        backbone = load_backbone(choose_model(model, weights, say=say, default=default), weights=weights,
                                 allow_random=allow_random)
    if objective_for is not None:
        return Dreamer(objective=objective_for(backbone), backbone=backbone)
    if isinstance(layers, str):
        layers = knobs.parse_layer_weights(layers)
    return Dreamer(objective=channel_objective(backbone, layers, objective, border, channels, picture),
                   backbone=backbone)


def dream(image, model=None, layers=None, objective="sum_of_squares", border=0,
          weights="imagenet", settings=None, progress=True, channels=None, **overrides):
    """Dream on ``image`` in one call; see ``build_dreamer``, ``Dreamer.dream`` and ``DreamSettings``.

    ``channels``: "3,7,12", or "strongest:5" / "weakest:5" ranked on ``image`` (default: all).
    """
    s = settings or DreamSettings.default()
    seed = overrides.get("seed", s.seed)
    dreamer = build_dreamer(model, layers, objective, border, weights, seed=seed, channels=channels,
                            picture=check_picture(image))
    return dreamer.dream(image, s, progress=progress, **overrides)

"""The knobs of a dream, described once: name, type, default, quick value, allowed values, help.

Everything else is derived from this table, so adding a knob is one edit here: ``DreamSettings``
(dreamlib.dream) and its checks, the options of ``dreamlib dream|guided|zoom``, the explorer's
controls, the record saved with each picture (and its replay, ``--settings``), and the README's
option list (a test keeps it in step). Importing this module does not import TensorFlow, so the
command line checks every value before TensorFlow starts.
"""

import math
from dataclasses import dataclass

from dreamlib.errors import DreamlibError, no_permission

NORMALIZATIONS = ("mean_abs", "std", "l2")           # dreamlib.ascent.normalize_gradient
OBJECTIVE_KINDS = ("sum_of_squares", "mean", "l2")   # dreamlib.objectives.KINDS
PRECISIONS = ("float32", "mixed")                    # dreamlib.precision
MAX_OCTAVES = 20
FULL_SIZE_LIMIT = 4096   # by default the command line dreams at the picture's own size up to this (longest side)
SAME = "same"   # a knob's quick value when it is the same as its full one


@dataclass(frozen=True)
class Knob:
    """One knob: what it is, its default (and quick) value, the values it allows and its help."""

    name: str
    type: type                 # int, float, bool or str
    default: object
    help: str
    quick: object = SAME
    low: float = None          # smallest allowed value (None: no bound)
    high: float = None         # largest allowed value
    above: bool = False        # True: values must be strictly above ``low``
    choices: tuple = ()        # the allowed words of a str knob
    none: str = ""             # what None means, when None is allowed
    example: object = None     # a typical value, for error messages
    exponents: bool = False    # also accepts a list/range of whole-number exponents (octaves)
    reader: object = None      # a str knob's reader: returns the text's meaning, or one line naming the fix

    @property
    def option(self):
        """The command-line option: ``--step-size``, or ``--no-lost-detail`` for a knob that is on."""
        flag = self.name.replace("_", "-")
        return f"--no-{flag}" if self.type is bool and self.default else f"--{flag}"

    @property
    def metavar(self):
        if self.choices:
            return "|".join(self.choices)
        return {int: "N", float: "F"}.get(self.type, "NAME:WEIGHT,..." if self.name == "layers" else self.name.upper())

    def describe(self):
        """The help text with the default and quick values: 'ascent steps per octave (default: 20; quick: 15)'."""
        default = self.none if self.default is None else f"{self.default}"
        quick = "" if self.quick == SAME else f"; quick: {self.quick}"
        return f"{self.help} (default: {default}{quick})"

    def quick_value(self):
        return self.default if self.quick == SAME else self.quick

    def allowed(self):
        """The allowed values in words: 'a whole number from 0 to 100000', 'mean_abs, std or l2'."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.type is bool:
            return "True or False"
        what = "a whole number" if self.type is int else "a number"
        low, high = _words(self.low), _words(self.high)
        if self.low is not None and self.high is not None:
            what += f" above {low} and at most {high}" if self.above else f" from {low} to {high}"
        elif self.low is not None:
            what += f" above {low}" if self.above else f" of at least {low}"
        if self.exponents:
            what += " (or a list of whole-number exponents, e.g. range(-2, 3))"
        return what

    def _refuse(self, value, why=""):
        none = f", or None ({self.none})" if self.none else ""
        example = f", such as {self.example!r}" if self.example is not None else ""
        raise DreamlibError(f"{self.name} must be {self.allowed()}{none}{example}; got {value!r}{why}")

    def check(self, value):
        """``value`` in its plain Python type (numpy scalars welcome), or one line naming the fix."""
        import numpy as np

        if value is None:
            if self.none:
                return None
            self._refuse(value)
        if self.type is bool:
            if not isinstance(value, (bool, np.bool_)):
                self._refuse(value)
            return bool(value)
        if self.type is str:
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                self._refuse(value)
            if self.reader is not None:
                self.reader(value)
            return value
        if self.exponents and isinstance(value, (range, list, tuple, np.ndarray)):
            return self._check_exponents(value)
        numbers = (int, np.integer) if self.type is int else (int, float, np.integer, np.floating)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers):
            self._refuse(value)
        if not math.isfinite(value):
            self._refuse(value, " (not a finite number)")
        if (self.low is not None and (value <= self.low if self.above else value < self.low)) \
                or (self.high is not None and value > self.high):
            self._refuse(value)
        if isinstance(value, np.floating):
            value = float(str(value))  # np.float32(0.01) is 0.01, not 0.009999999776
        return self.type(value)

    def _check_exponents(self, value):
        import numpy as np

        items = list(value)
        if not items or len(items) > MAX_OCTAVES or any(
                isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) for n in items):
            self._refuse(value, f" (1 to {MAX_OCTAVES} whole numbers)")
        return value if isinstance(value, range) else [int(n) for n in items]


def _words(number):
    return None if number is None else str(int(number)) if float(number).is_integer() else f"{number:g}"


# The knobs of DreamSettings, in its field order (the defaults are keras.io's and the articles').
SETTINGS = (
    Knob("steps", int, 20, "ascent steps per octave", quick=15, low=0, high=100_000, example=20),
    Knob("step_size", float, None, "step size in network-input units", low=0, high=100, above=True,
         none="the model's own: 0.01 on [-1, 1] inputs, A's 0.01 x 255 on VGG's", example=0.01),
    Knob("octaves", int, 3, "number of octaves (scales), smallest first", quick=4, low=1, high=MAX_OCTAVES,
         example=3, exponents=True),
    Knob("octave_scale", float, 1.4, "size ratio between octaves; article B uses 1.3", low=1, high=4,
         above=True, example=1.4),
    Knob("lost_detail", bool, True, "reinject the detail lost by shrinking, article D's step"),
    Knob("tile_size", int, None, "dream pictures bigger than this in tiles; 0 never tiles",
         low=0, high=8192, none="sized for this machine: the whole picture when it fits memory_budget, "
         "else the tiles whose windows fit it with the fewest pixels", example=512),
    Knob("tile_margin", int, 64, "pixels of context around each tile: the network sees them, only the "
         "tile's own gradient is kept, so tiles leave no seams; 0 is article B's plain tiles",
         low=0, high=1024, example=64),
    Knob("memory_budget", int, None, "MiB the network's windows may use at once: sizes the tiles when "
         "tile_size is not given, and how many windows go through the network together", low=16, high=2**20, none="a quarter of the free memory, or of the GPU's",
         example=2048),
    Knob("jitter", int, None, "largest random roll in pixels", low=0, high=8192,
         none="the tile size when tiled, else 0; 512 on pictures over 512 px when tiles are sized for memory",
         example=32),
    Knob("normalize", str, "mean_abs", "gradient normalisation: mean_abs as A, C, D; std as B; or l2",
         choices=NORMALIZATIONS),
    Knob("max_loss", float, None, "stop an octave once the loss passes this: A 30, D 20, keras.io 15",
         none="never stop early", example=20),
    Knob("seed", int, None, "fixes the random rolls (and random weights): a repeatable run",
         low=0, high=2**32 - 1, none="a new random run each time", example=0),
    Knob("precision", str, "float32", "the network's arithmetic: float32, or mixed (bfloat16 on a CPU, float16 on "
         "a GPU; the loss and steps stay float32): can pay only on GPUs and on CPUs with AVX512-BF16/AMX, "
         "was 2-13x slower on an AVX2 CPU", choices=PRECISIONS),
)

# The knobs of a run that are not DreamSettings: which network, what to maximise, the picture's size.
RUN = (
    Knob("model", str, None, "the network to dream with", none="inception_v3, or the best one at hand"),
    Knob("layers", str, None, "layers and their weights, such as mixed3:1.0,mixed5:1.5",
         none="the model's own"),
    Knob("objective", str, "sum_of_squares", "what each layer contributes", choices=OBJECTIVE_KINDS),
    Knob("border", int, 0, "pixels cropped off each side of a layer's activations before sum_of_squares "
         "(article D and keras.io: 2)", low=0, high=100, example=2),
    Knob("channels", str, None, "dream with only these channels of each layer: 3,7,12, or the k strongest "
         "(strongest:5) or weakest (weakest:5) on the picture", none="every channel",
         reader=lambda text: parse_channels(text)),
    Knob("max_size", int, None, "shrink the picture so its longest side is at most this many pixels",
         quick=256, low=1, high=100_000, none=f"the picture's own size, up to {FULL_SIZE_LIMIT} px", example=1024),
)

KNOBS = {knob.name: knob for knob in SETTINGS + RUN}

# The knobs of an infinite zoom (dreamlib.zoom, ``dreamlib zoom``), beside those of each frame's dream.
ZOOM = (
    Knob("frames", int, 30, "number of frames", quick=24, low=1, high=10_000, example=30),
    Knob("zoom", float, 1.05, "enlargement per frame, from 1 (none); google/deepdream's 1.05", low=1, high=2,
         example=1.05),
    Knob("fps", float, 12, "frames per second of the animation", low=0, high=60, above=True, example=12),
)


def knob(name):
    """The knob called ``name``, or one line listing them."""
    found = KNOBS.get(name) or next((k for k in ZOOM if k.name == name), None)
    if found is None:
        raise DreamlibError(f"dreamlib has no knob called {name!r}: choose from "
                            f"{', '.join([*KNOBS, *(k.name for k in ZOOM)])}")
    return found


def check(values):
    """``{name: value}`` checked knob by knob: a dict of plain values, or one line naming the fix."""
    return {name: knob(name).check(value) for name, value in values.items()}


def defaults(quick=False, names=None):
    """``{name: default}`` (quick values with ``quick``) for ``names`` (default: every knob)."""
    chosen = [KNOBS[n] for n in names] if names is not None else KNOBS.values()
    return {k.name: k.quick_value() if quick else k.default for k in chosen}


def parse_layer_weights(text):
    """Parse ``"mixed3:1.0,mixed5:1.5"`` (a missing weight means 1.0) into {layer: weight}."""
    result = {}
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        name, _, weight = item.partition(":")
        try:
            result[name.strip()] = float(weight) if weight.strip() else 1.0
            if not math.isfinite(result[name.strip()]):
                raise ValueError
        except ValueError:
            raise DreamlibError(
                f"cannot read layer weight {item!r}: write layers as name:weight,name:weight "
                f"(for example mixed3:1.0,mixed5:1.5)") from None
        if not name.strip():
            raise DreamlibError(f"layer entry {item!r} has no layer name: write name:weight")
    if not result:
        raise DreamlibError("no layers given: write them as name:weight,name:weight")
    return result


CHANNEL_RANKS = ("strongest", "weakest")


def parse_channels(text):
    """Read the channels knob: ``"3,7,12"`` -> ("indices", [3, 7, 12]); ``"strongest:5"`` -> ("strongest", 5)."""
    text = str(text).strip()
    rank, colon, count = text.partition(":")
    if colon:
        if rank.strip() not in CHANNEL_RANKS or not count.strip().isdigit() or int(count) < 1:
            raise DreamlibError(f"cannot read channels {text!r}: write strongest:K or weakest:K with K a whole "
                                f"number from 1, such as strongest:5")
        return rank.strip(), int(count)
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items or not all(item.isdigit() for item in items):
        raise DreamlibError(f"cannot read channels {text!r}: write channel numbers such as 3,7,12, "
                            f"or strongest:5 or weakest:5")
    return "indices", list(dict.fromkeys(int(item) for item in items))


def read_saved(path):
    """``{knob: value}`` from a saved dream: a dreamlib PNG (its record), the explorer's JSON or a JSON of knobs.

    The values are checked; knobs the file does not mention are left out.
    """
    import json
    from pathlib import Path

    path = Path(path).expanduser()
    try:
        if path.suffix.lower() == ".png":
            from PIL import Image

            with Image.open(path) as pil:
                data = {key.split(":", 1)[1]: _json_or_text(value) for key, value in pil.text.items()
                        if key.startswith("dreamlib:")}
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
    except PermissionError:
        raise no_permission(path) from None
    except (OSError, ValueError, SyntaxError) as e:
        raise DreamlibError(f"cannot read saved settings from {path} ({e.__class__.__name__}): give a PNG "
                            f"made by dreamlib or the .json saved next to it") from None
    if not isinstance(data, dict) or not data:
        raise DreamlibError(f"{path} holds no dreamlib settings: give a PNG made by dreamlib or the .json "
                            f"saved next to it")
    if "settings" in data:  # a record (PNG) or the explorer's JSON: its "objective" is a description
        found = {k: data[k] for k in ("model", "layers", "channels", "max_size") if k in data}
        for part in ("settings", "recipe"):
            if isinstance(data.get(part), dict):
                found.update({k: v for k, v in data[part].items() if k in KNOBS})
    else:                   # a JSON of knobs, such as {"steps": 30, "octaves": 4}
        found = {k: v for k, v in data.items() if k in KNOBS}
    if isinstance(found.get("layers"), dict):
        found["layers"] = ",".join(f"{name}:{float(weight)!r}" for name, weight in found["layers"].items())
    if not found:
        raise DreamlibError(f"{path} holds no dreamlib settings: give a PNG made by dreamlib or the .json "
                            f"saved next to it")
    try:
        return check(found)
    except DreamlibError as e:
        raise DreamlibError(f"{path}: {e}") from None


def _json_or_text(value):
    import json

    try:
        return json.loads(value)
    except ValueError:
        return value


def option_lines():
    """The dream options as README lines: ``--steps N  ascent steps per octave (default 20; quick 15)``."""
    lines = []
    for k in SETTINGS + RUN:
        if k.type is bool:
            lines.append(f"{k.option}  {'do not ' if k.default else ''}{k.help}")
            continue
        lines.append(f"{k.option} {k.metavar}  {k.describe()}")
    return lines

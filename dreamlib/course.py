"""What each notebook of the course needs: its weight files, which are here, and what happens without them.

``NOTEBOOK_NETWORKS`` is the one table of which network (with or without its ImageNet
classifier) each notebook builds; notebook 00 and ``dreamlib weights`` both read it.
``readiness()`` says, per notebook, whether it runs on real weights, on a labelled random-weight
stand-in, or stops with a one-line message, and which copy of its data (``NOTEBOOK_DATA``) it
reads: the full set or the subset bundled with dreamlib. ``fetch_course_files()`` gets every file
on a connected machine (and copies them to a folder, such as a USB stick, for
``dreamlib weights import``).
"""

from dataclasses import dataclass
from pathlib import Path

from dreamlib import data, models, settings
from dreamlib.errors import DreamlibError, WeightsMissingError

# (model, include_top) per notebook, in the order the notebook builds them.
NOTEBOOK_NETWORKS = {
    "00_start_here": (),
    "01_activation_maximisation": (("mobilenet", True), ("mobilenet_v2", False), ("vgg19", False)),
    "02_vgg19_two_layer_dream": (("vgg19", False), ("mobilenet_v2", False)),
    "03_inception_octaves": (("inception_v3", True), ("mobilenet", True), ("inception_v3", False),
                             ("mobilenet_v2", False)),
    "04_tiling_big_images": (("mobilenet_v2", False), ("inception_v3", False)),
    "05_guided_dreams": (("resnet50", False), ("mobilenet_v2", False)),
    "06_dcgan": (),  # trains its own networks: no pretrained weights (its data: NOTEBOOK_DATA)
}
# networks a notebook does without when their weights are missing: it dreams on the bundled
# MobileNetV2 instead and shows one picture of a labelled untrained stand-in
FALLBACK_NETWORKS = {"02_vgg19_two_layer_dream": ("vgg19",), "03_inception_octaves": ("inception_v3",)}
# the data sets each notebook reads (dreamlib.data); the others read none
NOTEBOOK_DATA = {"06_dcgan": ("fashion_mnist",)}


@dataclass(frozen=True)
class Need:
    """One weights file a notebook needs, and for which network."""

    model: str            # a dreamlib model name, or "classes" for the ImageNet class index
    include_top: bool
    file: models.WeightsFile

    @property
    def label(self):
        if self.model == "classes":
            return "ImageNet class names"
        return f"{self.model} ({'with classifier' if self.include_top else 'features'})"


def needs(notebook):
    """The weight files ``notebook`` needs: its networks', plus the class index when it classifies."""
    if notebook not in NOTEBOOK_NETWORKS:
        raise DreamlibError(f"unknown notebook {notebook!r}: choose one of {', '.join(NOTEBOOK_NETWORKS)}")
    found = [Need(model, top, models.weights_file(model, top)) for model, top in NOTEBOOK_NETWORKS[notebook]]
    if any(top for _, top in NOTEBOOK_NETWORKS[notebook]):
        found.append(Need("classes", False, models.WeightsFile(*models.CLASS_INDEX)))
    return found


def course_files():
    """{file name: (WeightsFile, [notebooks that need it])}: every file the course needs, once."""
    files = {}
    for notebook in NOTEBOOK_NETWORKS:
        for need in needs(notebook):
            files.setdefault(need.file.name, (need.file, []))[1].append(notebook)
    return files


@dataclass(frozen=True)
class DataState:
    """One data set on this machine: the full set, only the subset bundled with dreamlib, or neither."""

    kind: str
    state: str            # "full" | "bundled" | "missing"
    where: str            # the folder read from, or why it is missing

    @property
    def note(self):
        """What a notebook that reads this data set will get, in a few words."""
        if self.state == "full":
            return f"the full {self.kind} ({self.where})"
        how = f"sudo apt-get install {data.DEBIAN_PACKAGE}, or internet" if self.kind in data.DEBIAN_DIRS else "internet"
        if self.state == "bundled":
            count = data.read_idx(Path(self.where) / data.IDX_FILES["train"][1]).size
            return (f"only the {count:,}-picture {self.kind} subset bundled with dreamlib: quick settings run, "
                    f"full ones need the full set ({how})")
        return f"{self.kind} is missing ({self.where}): get it ({how})"


def data_users():
    """{data set: [notebooks that read it]}."""
    users = {}
    for notebook, kinds in NOTEBOOK_DATA.items():
        for kind in kinds:
            users.setdefault(kind, []).append(notebook)
    return users


def data_state(kind):
    """Which copy of data set ``kind`` a notebook would read here (never downloads)."""
    try:
        full = data.locate_full_set(kind, "train")
    except DreamlibError as e:  # a DREAMLIB_FASHION_MNIST_DIR that points nowhere
        return DataState(kind, "missing", str(e))
    if full is not None:
        return DataState(kind, "full", str(full))
    if kind in data.BUNDLED_DIRS:
        return DataState(kind, "bundled", str(data.BUNDLED_DIRS[kind]))
    return DataState(kind, "missing", "not on this machine")


@dataclass(frozen=True)
class Readiness:
    """One notebook on this machine: its needs with their state, and what will happen."""

    notebook: str
    states: list          # [(Need, "cached" | "bundled" | "missing")]
    verdict: str          # one line: runs on real weights, on a labelled stand-in, or stops; and its data
    data: tuple = ()      # (DataState,) for each data set it reads

    @property
    def ready(self):
        """True when every network the notebook builds has real ImageNet weights here."""
        return all(state != "missing" for _, state in self.states)


def _verdict(states, allow_random, fallbacks=()):
    if not states:
        return "needs no pretrained weights"
    missing = [need for need, state in states if state == "missing"]
    bundled = sorted({need.model for need, state in states if state == "bundled" and need.model != "classes"})
    if not missing:
        note = f" ({', '.join(bundled)} from the weights bundled with dreamlib)" if bundled else ""
        return f"ready: every network has real ImageNet weights{note}"
    files = ", ".join(need.file.name for need in missing)
    networks = " and ".join(dict.fromkeys(need.model for need in missing))  # each once, in order
    if all(need.model in fallbacks for need in missing):
        return (f"runs to the end: without {networks}'s weights it dreams on the bundled mobilenet_v2 and "
                f"shows one labelled UNTRAINED {networks} picture; for real weights import {files}")
    if allow_random and all(need.model != "classes" for need in missing):
        return (f"runs, with an UNTRAINED stand-in (random weights, labelled on every picture) for "
                f"{networks}; for real weights import {files}")
    return f"runs up to its first {networks} cell, which stops with a one-line message; import {files}"


def readiness(allow_random=None):
    """[Readiness] for every notebook, from the Keras cache and the bundled weights.

    ``allow_random`` defaults to the ``DREAMLIB_ALLOW_RANDOM_WEIGHTS`` switch, which decides
    whether a missing network stops a notebook or is replaced by a labelled untrained one.
    """
    if allow_random is None:
        allow_random = settings.random_weights_allowed()
    result = []
    for notebook in NOTEBOOK_NETWORKS:
        states = [(need, models.weights_state(need.file)) for need in needs(notebook)]
        found = tuple(data_state(kind) for kind in NOTEBOOK_DATA.get(notebook, ()))
        verdict = "; ".join([_verdict(states, allow_random, FALLBACK_NETWORKS.get(notebook, ()))] + [f"data: {d.note}" for d in found])
        result.append(Readiness(notebook, states, verdict, found))
    return result


def fetch_course_files(to=None):
    """Get every file the course needs into the Keras cache (download, or from the bundle), and
    with ``to`` also copy them into that folder (a USB stick for ``dreamlib weights import``).

    Returns [(file name, what happened)] and [(file name, why it failed)]. A file already in
    ``to`` is left as it is.
    """
    target = None
    if to is not None:
        target = Path(to).expanduser()
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DreamlibError(f"cannot make the folder {target} ({e.strerror}): choose another one") from None
    done, failed = [], []
    for name, (wf, _) in course_files().items():
        before = models.weights_state(wf)
        try:
            path = models.fetch_weights_file(wf, what="the course")
        except WeightsMissingError:
            failed.append((name, f"not cached and could not be downloaded from {wf.origin}"))
            continue
        what = {"cached": "already cached", "bundled": "copied from dreamlib's bundle"}.get(before, "downloaded")
        if target is not None:
            try:
                copied = models.copy_new_file(path, target / name)
            except OSError as e:
                failed.append((name, f"could not be copied to {target} ({e.strerror})"))
                continue
            what += f"; copied to {target}" if copied else f"; already in {target} (left as it was)"
        done.append((name, what))
    return done, failed

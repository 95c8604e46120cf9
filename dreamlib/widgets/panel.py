"""The explorer panel: its controls wired to a network, the checks, the dreaming thread and Save.

``Explorer`` is the controls (controls.py) plus what they do: a change of model, picture or
guide reloads it, every change re-runs the checks (checks.py) that enable Dream, Dream starts a
``DreamThread`` (dreaming.py) and Save writes the picture and its settings (saving.py).
"""

import html
from dataclasses import asdict

import numpy as np

from dreamlib import knobs
from dreamlib import settings as switches
from dreamlib.errors import DreamlibError
from dreamlib.images import list_samples
from dreamlib.widgets import checks
from dreamlib.widgets.controls import AUTO_LAYER, NO_GUIDE, RANDOM_WEIGHTS_TEXT, Controls, red
from dreamlib.widgets.dreaming import DreamThread
from dreamlib.widgets.pictures import UPLOAD, chosen_picture, picture_name, png_bytes
from dreamlib.widgets.saving import save_dream

_BACKBONES = {}  # (model, untrained) -> Backbone: re-running the cell does not rebuild networks


def _backbone(name, untrained):
    """The network ``name`` with ImageNet or random weights, built once per session."""
    from dreamlib.models import load_backbone

    key = (name, untrained)
    if key not in _BACKBONES:
        _BACKBONES[key] = load_backbone(name, weights=None if untrained else "imagenet", allow_random=False)
    return _BACKBONES[key]


class Explorer(Controls):
    """Widgets for one dream at a time; ``.widget`` is the whole panel (a cell shows it)."""

    def __init__(self, image="chelsea", model=None, layers=None, random_weights=None, max_size=None,
                 folder="dreams", guide=NO_GUIDE, settings=None, **overrides):
        from dreamlib.dream import DreamSettings, choose_model
        from dreamlib.models import available_models, weights_available

        layers, random_weights, max_size, folder = checks.arguments(layers, random_weights, max_size, folder)
        self.base_settings = DreamSettings(**{**asdict(settings or DreamSettings.default()), **overrides})
        if not isinstance(self.base_settings.octaves, (int, np.integer)):
            raise DreamlibError(f"the explorer takes a number of octaves (e.g. 3); got {self.base_settings.octaves!r}")
        self.model_note = None  # one line when no model was named and the default's weights are missing

        def note(line):
            self.model_note = line
            print(f"dreamlib: {line}")

        model = choose_model(model, download=False, say=note)
        if random_weights is None:  # random only where the course allows it and no real weights exist
            random_weights = not weights_available(model) and switches.random_weights_allowed()
        samples = list_samples()
        if guide not in (NO_GUIDE, *samples, UPLOAD):
            raise DreamlibError(f"guide must be {NO_GUIDE!r}, a sample ({', '.join(samples)}) or {UPLOAD!r}; "
                                f"got {guide!r}")
        models = [(f"{name} ({'ImageNet weights' if weights_available(name) else 'no ImageNet weights here'})",
                   name) for name in available_models()]
        # the picture's own size up to the command line's limit, or the quick size (dreamlib.knobs)
        max_size = max_size or switches.pick(knobs.knob("max_size").quick, knobs.FULL_SIZE_LIMIT)
        super().__init__(image, samples if image in (*samples, UPLOAD) else [image, *samples], model, models,
                         random_weights, max_size, folder, guide, [NO_GUIDE, *samples], self.base_settings)

        self.backbone = None
        self.picture = None       # the input picture, float RGB, fitted within max_size
        self.guide = None         # the guide picture, or None
        self.result = None        # the last DreamResult
        self.error = None         # the last dream's error message, or None
        self.saved = []           # (png path, json path) of every save
        self._image_problem = self._guide_problem = self._model_problem = None
        self._syncing = False
        self._guide_version = 0
        self._picture_version = 0  # counts the pictures loaded: ranked channels are ranked on the picture
        self._run = self._starting = None  # what Save records with self.result; that of the dream running
        self.worker = DreamThread(self._say, self._stepped, self._show, self._finished)

        self._load_model(layers=layers, step_size=self.base_settings.step_size)
        self._load_picture()
        self._load_guide()
        self.model_choice.observe(lambda _: self._model_changed(), names="value")
        self.random_weights.observe(lambda _: self._model_changed(keep_layers=True), names="value")
        for control in (self.image_choice, self.max_size):
            control.observe(lambda _: self._picture_changed(), names="value")
        self.image_upload.observe(lambda _: self._uploaded(self.image_choice), names="value")
        self.guide_upload.observe(lambda _: self._uploaded(self.guide_choice), names="value")
        self.guide_choice.observe(lambda _: self._guide_changed(), names="value")
        self.layer_choice.observe(lambda _: self._layers_selected(), names="value")
        self.layer_weights.observe(lambda _: self._layers_typed(), names="value")
        self.channels.observe(lambda _: self._refresh(), names="value")
        for control in (*self.knob_controls.values(), self.folder):
            control.observe(lambda _: self._refresh(), names="value")
        self.dream_button.on_click(lambda _: self._clicked(self.dream))
        self.stop_button.on_click(lambda _: self.stop())
        self.save_button.on_click(lambda _: self._clicked(self._save_and_say))
        self._show_picture()
        self._refresh()

    @property
    def dreaming(self):
        return self.worker.running

    # ------------------------------------------------------------------ loading

    def _load_model(self, layers=None, step_size=None, keep_layers=False):
        """Build (or fetch) the chosen network and reset the layer controls to its defaults."""
        from dreamlib.models import cache_dir, dreamable_layers, get_spec, weights_available

        name = self.model_choice.value
        spec = get_spec(name)
        untrained = self.random_weights.value
        self._model_problem = None
        if not untrained and not weights_available(name):
            self._model_problem = (f"{name} has no ImageNet weights in {cache_dir()}: pick a model marked "
                                   f"'ImageNet weights', run `dreamlib weights import FOLDER`, or tick "
                                   f"'{RANDOM_WEIGHTS_TEXT}'")
        self.status.value = f"loading {name}..."
        try:
            self.backbone = _backbone(name, untrained or not weights_available(name))
        except DreamlibError as e:  # a damaged weights file: say so, list the layers all the same
            self._model_problem = str(e)
            self.backbone = _backbone(name, True)
        # without real weights the random network still lists the layers (they do not depend on weights)
        names = [layer for layer, _ in dreamable_layers(self.backbone)]
        previous = self.layer_weights.value
        self._syncing = True
        try:
            self.layer_choice.options = names
            self.guide_layer.options = [AUTO_LAYER, *names]
            self.guide_layer.value = AUTO_LAYER
        finally:
            self._syncing = False
        if keep_layers:
            self.layer_weights.value = previous
        else:
            self.layer_weights.value = layers if layers is not None else \
                ", ".join(f"{k}:{v:g}" for k, v in spec.default_layers.items())
            if step_size is None:
                self.step_size.value = spec.step_size
        self._layers_typed()
        self.warning.value = ("<b style='color:#c60'>UNTRAINED network (random weights): its pictures "
                              "show the mechanics, not a real dream.</b>" if untrained else "")
        self.status.value = "Press Dream."

    def _load_picture(self):
        self._picture_version += 1  # a new picture: channels ranked on the old one are stale
        try:
            self.picture, self._image_problem = chosen_picture(self.image_choice, self.image_upload,
                                                               self.max_size.value)
        except DreamlibError as e:
            self.picture, self._image_problem = None, str(e)

    def _load_guide(self):
        self.guide, self._guide_problem = None, None
        self._guide_version += 1  # a new guide needs a new objective
        if self.guided():
            try:  # guided_objective shrinks the guide itself
                self.guide, self._guide_problem = chosen_picture(self.guide_choice, self.guide_upload)
            except DreamlibError as e:
                self._guide_problem = str(e)

    # ------------------------------------------------------------------ reacting to the controls

    def _model_changed(self, keep_layers=False):
        self._load_model(keep_layers=keep_layers)
        self._refresh()

    def _picture_changed(self):
        self._load_picture()
        self._show_picture()
        self._refresh()

    def _guide_changed(self):
        self._load_guide()
        self._refresh()

    def _uploaded(self, choice):
        if choice.value == UPLOAD:
            (self._picture_changed if choice is self.image_choice else self._guide_changed)()
        else:
            choice.value = UPLOAD  # its observer loads the upload

    def _layers_selected(self):
        """Picking layers in the list rewrites the text, keeping the weights already typed."""
        if self._syncing:
            return
        try:
            weights = self._parse_layers()
        except DreamlibError:
            weights = {}
        self._syncing = True
        try:
            self.layer_weights.value = ", ".join(f"{n}:{weights.get(n, 1.0):g}" for n in self.layer_choice.value)
        finally:
            self._syncing = False
        self._layers_typed()

    def _layers_typed(self):
        """Typing layer:weight pairs selects those layers in the list, or explains the mistake."""
        try:
            weights = self._parse_layers()
            self.layer_error.value = ""
        except DreamlibError as e:
            self.layer_error.value = red([str(e)])
        else:
            if not self._syncing:
                self._syncing = True
                try:
                    self.layer_choice.value = tuple(n for n in weights if n in self.layer_choice.options)
                finally:
                    self._syncing = False
        self._refresh()

    def _parse_layers(self):
        return checks.parse_layers(self.layer_weights.value, self.backbone, self.layer_choice.options)

    def problems(self):
        """Why Dream cannot run now: one line per nonsense combination (empty when it can)."""
        return checks.problems(self.backbone, self.picture, self.dream_settings,
                               None if self.guided() else self.layer_weights.value,  # the guide decides
                               self.layer_choice.options,
                               known=(self._model_problem, self._image_problem, self._guide_problem),
                               channel_text=self.channel_text())

    def _refresh(self):
        """Enable what makes sense now, and say in red why Dream is disabled."""
        self.enable(self.dreaming, self.problems(), self.result is not None)

    def _show_picture(self):
        if self.picture is not None and not self.dreaming:
            self._show(self.picture)
            self.preview.layout.width = f"{max(self.picture.shape[1], 256)}px"

    # ------------------------------------------------------------------ dreaming

    def dream_settings(self):
        """The ``DreamSettings`` the controls describe."""
        from dreamlib.dream import DreamSettings

        return DreamSettings(**{**asdict(self.base_settings), **self.knob_values()})

    def _objective(self):
        """(key, make): the objective's builder, and a key that changes exactly when it must be rebuilt."""
        backbone, guide = self.backbone, self.guide
        if guide is not None:
            from dreamlib.guided import guide_layer, guided_objective

            layer = guide_layer(backbone, None if self.guide_layer.value == AUTO_LAYER else self.guide_layer.value)
            key = (backbone.name, backbone.untrained, "guide", self._guide_version, layer)
            return key, lambda: guided_objective(backbone, guide, layer)
        from dreamlib.dream import channel_objective

        weights, channels, picture = self._parse_layers(), self.channel_text(), self.picture
        # strongest and weakest channels are ranked on the picture: a new picture, a new objective
        ranked = channels is not None and knobs.parse_channels(channels)[0] != "indices"
        return (backbone.name, backbone.untrained, "layers", tuple(weights.items()), channels,
                self._picture_version if ranked else None), \
            lambda: channel_objective(backbone, weights, channels=channels, picture=picture)

    def dream(self, wait=False):
        """Start dreaming in a background thread (``wait=True``: finish first and return the result)."""
        from dreamlib.dream import build_dreamer

        if self.dreaming:
            raise DreamlibError("a dream is already running: press Stop or wait for it")
        problems = self.problems()
        if problems:
            raise DreamlibError(problems[0])
        s = self.dream_settings()
        key, make_objective = self._objective()
        guided = self.guide is not None
        self._starting = {
            "image": picture_name(self.image_choice, self.image_upload),
            "max_size": self.max_size.value,
            "model": self.backbone.name,
            "layers": None if guided else self._parse_layers(),
            "channels": None if guided else self.channel_text(),
            "guide": picture_name(self.guide_choice, self.guide_upload) if guided else None,
            "guide_layer": key[-1] if guided else None,
        }
        self.error = None
        self.progress.value, self.progress.max = 0, s.steps * s.octaves
        self.progress.bar_style = ""
        backbone = self.backbone
        self.enable(True, [], self.result is not None)  # before the thread starts: its end enables again
        self.worker.start(self.picture, s, key,
                          lambda: build_dreamer(backbone=backbone, objective_for=lambda _: make_objective()))
        return self.join() if wait else None

    def _say(self, text):
        self.status.value = text

    def _stepped(self, done):
        self.progress.value = done

    def _show(self, picture):
        self.preview.value = png_bytes(picture)

    def _finished(self, result, error):
        """The thread's end: keep the picture with its own settings (for Save), or say what failed."""
        if result is not None:
            self.result, self._run = result, self._starting
            self.progress.bar_style = "warning" if result.record.interrupted else "success"
        else:
            self.error = error
            self.status.value = red([f"dream failed: {error}"])
            self.progress.bar_style = "danger"
        self._refresh()

    def stop(self):
        """Ask the running dream to stop after its current step; the picture so far is kept."""
        self.worker.stop()

    def join(self, timeout=None):
        """Wait for the running dream (if any) and return its result; a failed dream raises its error."""
        self.worker.join(timeout)
        if self.error is not None:
            raise DreamlibError(self.error)
        return self.result

    # ------------------------------------------------------------------ saving

    def save(self):
        """Write the last dream as PNG (record in its metadata) plus its settings as JSON; never overwrite."""
        if self.result is None:
            raise DreamlibError("nothing to save yet: press Dream first")
        png, path = save_dream(self.result, self._run, self.folder.value)
        self.saved.append((png, path))
        return png, path

    def _save_and_say(self):
        png, path = self.save()
        self.status.value = f"saved {html.escape(str(png))} and {html.escape(path.name)}"

    def _clicked(self, action):
        """Run a button's action; a mistake is shown in the status line, not lost in a log."""
        try:
            action()
        except DreamlibError as e:
            self.status.value = red([str(e)])


def explorer(image="chelsea", model=None, layers=None, random_weights=None, max_size=None, folder="dreams",
             guide=NO_GUIDE, settings=None, **overrides):
    """Open the dream explorer: ``explorer()`` as the last line of a cell shows it.

    ``model`` defaults to inception_v3 when its weights are cached, else to the best model whose
    weights are here (at least the bundled mobilenet_v2), said in one line; ``layers`` is {layer: weight}
    or "layer:weight, ..."; ``random_weights`` (default: only when no weights are cached and
    ``DREAMLIB_ALLOW_RANDOM_WEIGHTS=1``); ``settings``/``overrides`` set the starting knobs.
    """
    return Explorer(image, model, layers, random_weights, max_size, folder, guide, settings, **overrides)

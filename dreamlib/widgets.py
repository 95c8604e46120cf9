"""The dream explorer: every knob of a dream as a notebook widget, with a live preview.

``explorer()`` in a notebook cell shows controls for the picture, model, layers and their
weights, steps, step size, octaves, tiles and a guide picture; **Dream** runs the dream in a
background thread so the kernel stays free to hear **Stop**, and the preview updates after every
octave. **Save** writes the picture (PNG, settings in its metadata) and a JSON of the settings
next to it. Controls that make no sense together disable **Dream** and say why in red.
"""

import contextvars
import html
import io
import re
import threading
from dataclasses import asdict
from pathlib import Path

import numpy as np

from dreamlib import knobs
from dreamlib import settings as switches
from dreamlib.errors import DreamlibError
from dreamlib.images import list_samples, load_image, stamp_untrained, to_uint8, write_json

UPLOAD = "upload"
NO_GUIDE = "none"
AUTO_LAYER = "model's choice"
RANDOM_WEIGHTS_TEXT = "random weights (untrained, for testing)"
_BACKBONES = {}  # (model, untrained) -> Backbone: re-running the cell does not rebuild networks


def _backbone(name, untrained):
    """The network ``name`` with ImageNet or random weights, built once per session."""
    from dreamlib.models import load_backbone

    key = (name, untrained)
    if key not in _BACKBONES:
        _BACKBONES[key] = load_backbone(name, weights=None if untrained else "imagenet", allow_random=False)
    return _BACKBONES[key]


def png_bytes(img):
    """A float RGB [0, 255] picture as PNG bytes, for an ``ipywidgets.Image``."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(to_uint8(img)).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_upload(upload, max_size=None):
    """The picture in a ``FileUpload``'s value (its last file), loaded like any image file."""
    item = upload[-1]
    return load_image(bytes(item["content"]), max_size=max_size, name=f"the uploaded {item['name']}")


def free_stem(folder, stem, suffixes=(".png", ".json")):
    """``stem``, or ``stem_2``, ``stem_3``... : the first name unused in ``folder`` by every suffix."""
    number = 1
    while True:
        candidate = stem if number == 1 else f"{stem}_{number}"
        if not any((Path(folder) / f"{candidate}{suffix}").exists() for suffix in suffixes):
            return candidate
        number += 1


def knob_control(kind, name, label, value, **options):
    """An ipywidgets control for knob ``name``: its range and help (as a tooltip) from dreamlib.knobs."""
    knob = knobs.knob(name)
    if kind.__name__.startswith("Bounded"):
        options = {"min": knob.low, "max": knob.high, **options}
    if kind.__name__ != "Checkbox":
        options["style"] = {"description_width": "initial"}
    return kind(value=value, description=label, tooltip=knob.describe(), **options)


def _red(lines):
    return "".join(f"<div style='color:#c00'>{html.escape(line, quote=False)}</div>" for line in lines)


class Explorer:
    """Widgets for one dream at a time; ``.widget`` is the whole panel (a cell shows it)."""

    def __init__(self, image="chelsea", model=None, layers=None, random_weights=None, max_size=None,
                 folder="dreams", guide=NO_GUIDE, settings=None, **overrides):
        import ipywidgets as w

        from dreamlib.dream import DreamSettings, choose_model
        from dreamlib.models import available_models, weights_available

        base = settings or DreamSettings.default()
        self.base_settings = DreamSettings(**{**asdict(base), **overrides})
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
        pictures = samples if image in (*samples, UPLOAD) else [image, *samples]  # a path of your own
        wide = {"description_width": "initial"}

        self.image_choice = w.Dropdown(options=[*pictures, UPLOAD], value=image, description="image", style=wide)
        self.image_upload = w.FileUpload(accept="image/*", multiple=False, description="upload image")
        # the picture's own size up to the command line's limit, or the quick size (dreamlib.knobs)
        self.max_size = knob_control(w.BoundedIntText, "max_size", "max size (px)",
                                     max_size or switches.pick(knobs.knob("max_size").quick, knobs.FULL_SIZE_LIMIT))
        self.model_choice = w.Dropdown(
            options=[(f"{name} ({'ImageNet weights' if weights_available(name) else 'no ImageNet weights here'})", name)
                     for name in available_models()], value=model, description="model", style=wide)
        self.random_weights = w.Checkbox(value=bool(random_weights), description=RANDOM_WEIGHTS_TEXT, indent=False)
        self.layer_choice = w.SelectMultiple(options=[], rows=6, description="layers", style=wide)
        self.layer_weights = w.Text(description="layer:weight", style=wide,
                                    layout=w.Layout(width="420px"), continuous_update=True)
        self.layer_error = w.HTML()
        s = self.base_settings
        self.steps = knob_control(w.BoundedIntText, "steps", "steps per octave", s.steps)
        self.step_size = knob_control(w.FloatText, "step_size", "step size", s.step_size or 0.01)
        self.octaves = knob_control(w.BoundedIntText, "octaves", "octaves", int(s.octaves))
        self.octave_scale = knob_control(w.BoundedFloatText, "octave_scale", "octave scale", s.octave_scale,
                                         step=0.05)
        self.tile_size = knob_control(w.BoundedIntText, "tile_size", "tile size (0: never)", s.tile_size)
        self.lost_detail = knob_control(w.Checkbox, "lost_detail", "reinject lost detail", s.lost_detail,
                                        indent=False)
        self.guide_choice = w.Dropdown(options=[NO_GUIDE, *samples, UPLOAD], value=guide, description="guide",
                                       style=wide)
        self.guide_upload = w.FileUpload(accept="image/*", multiple=False, description="upload guide")
        self.guide_layer = w.Dropdown(options=[AUTO_LAYER], description="guide layer", style=wide)
        self.dream_button = w.Button(description="Dream", button_style="primary", icon="play")
        self.stop_button = w.Button(description="Stop", button_style="warning", icon="stop",
                                    tooltip="stops after the current step and keeps the picture made so far")
        self.save_button = w.Button(description="Save", button_style="success", icon="save")
        self.folder = w.Text(value=str(folder), description="folder", style=wide)
        self.explanation = w.HTML()
        self.progress = w.IntProgress(value=0, min=0, max=1, description="progress", style=wide)
        self.status = w.HTML("Press Dream.")
        self.warning = w.HTML()
        # natural size (at least 256 px wide, so a tiny picture is still visible), never wider than the cell
        self.preview = w.Image(format="png", layout=w.Layout(max_width="100%", align_self="flex-start"))
        self.preview.add_class("dreamlib-preview")

        self.widget = w.VBox([
            w.HBox([self.image_choice, self.image_upload, self.max_size]),
            w.HBox([self.model_choice, self.random_weights]),
            w.HBox([self.layer_choice, w.VBox([self.layer_weights, self.layer_error])]),
            w.HBox([self.steps, self.step_size, self.octaves]),
            w.HBox([self.octave_scale, self.tile_size, self.lost_detail]),
            w.HBox([self.guide_choice, self.guide_upload, self.guide_layer]),
            w.HBox([self.dream_button, self.stop_button, self.save_button, self.folder]),
            self.explanation, w.HBox([self.progress, self.status]), self.warning, self.preview,
        ])
        self.widget.add_class("dreamlib-explorer")
        self.inputs = [self.image_choice, self.image_upload, self.max_size, self.model_choice, self.random_weights,
                       self.layer_choice, self.layer_weights, self.steps, self.step_size, self.octaves,
                       self.octave_scale, self.tile_size, self.lost_detail, self.guide_choice,
                       self.guide_upload, self.guide_layer, self.folder]

        self.backbone = None
        self.picture = None       # the input picture, float RGB, fitted within max_size
        self.guide = None         # the guide picture, or None
        self.result = None        # the last DreamResult
        self.error = None         # the last dream's error message, or None
        self.saved = []           # (png path, json path) of every save
        self.dreaming = False
        self._image_problem = self._guide_problem = self._model_problem = None
        self._syncing = False
        self._guide_version = 0
        self._stop = threading.Event()
        self._thread = None
        self._dreamer = self._dreamer_key = None
        self._run = None          # the settings of self.result, for Save

        self._load_model(layers=layers, step_size=s.step_size)
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
        for control in (self.steps, self.step_size, self.octaves, self.octave_scale, self.tile_size, self.folder):
            control.observe(lambda _: self._refresh(), names="value")
        self.dream_button.on_click(lambda _: self._clicked(self.dream))
        self.stop_button.on_click(lambda _: self.stop())
        self.save_button.on_click(lambda _: self._clicked(self._save_and_say))
        self._show_picture()
        self._refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

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
        self.all_layers = {layer.name for layer in self.backbone.model.layers}
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
            if isinstance(layers, str):
                text = layers
            else:
                text = ", ".join(f"{k}:{v:g}" for k, v in (layers or spec.default_layers).items())
            self.layer_weights.value = text
            if step_size is None:
                self.step_size.value = spec.step_size
        self._layers_typed()
        self.warning.value = ("<b style='color:#c60'>UNTRAINED network (random weights): its pictures "
                              "show the mechanics, not a real dream.</b>" if untrained else "")
        self.status.value = "Press Dream."

    def _read(self, choice, upload, max_size):
        """The picture a dropdown (sample name or 'upload') and its upload button point at."""
        if choice == UPLOAD:
            if not upload.value:
                return None, f"press '{upload.description}' to choose a picture"
            return decode_upload(upload.value, max_size), None
        return load_image(choice, max_size=max_size), None

    def _load_picture(self):
        try:
            self.picture, self._image_problem = self._read(self.image_choice.value, self.image_upload,
                                                          self.max_size.value)
        except DreamlibError as e:
            self.picture, self._image_problem = None, str(e)

    def _load_guide(self):
        self.guide, self._guide_problem = None, None
        self._guide_version += 1  # a new guide needs a new objective
        if self.guide_choice.value != NO_GUIDE:
            try:  # guided_objective shrinks the guide itself
                self.guide, self._guide_problem = self._read(self.guide_choice.value, self.guide_upload, None)
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
            self.layer_error.value = _red([str(e)])
        else:
            if not self._syncing:
                self._syncing = True
                try:
                    self.layer_choice.value = tuple(n for n in weights if n in self.layer_choice.options)
                finally:
                    self._syncing = False
        self._refresh()

    def _parse_layers(self):
        """{layer: weight} from the text field; one clear error for a typo or an unknown layer."""
        from dreamlib.objectives import parse_layer_weights

        weights = parse_layer_weights(self.layer_weights.value)
        for name in weights:
            if name not in self.all_layers:
                examples = ", ".join(self.layer_choice.options[:4])
                raise DreamlibError(f"{self.backbone.name} has no layer called {name!r}: pick layers from "
                                    f"the list (for example {examples})")
        return weights

    def problems(self):
        """Why Dream cannot run now: one line per nonsense combination (empty when it can)."""
        from dreamlib.octaves import octave_shapes

        found = [p for p in (self._model_problem, self._image_problem, self._guide_problem) if p]
        if self.guide_choice.value == NO_GUIDE:  # with a guide, the layer fields are not used
            try:
                self._parse_layers()
            except DreamlibError as e:
                found.append(str(e))
        try:
            s = self.dream_settings()
            s.check()
        except DreamlibError as e:
            found.append(str(e))
            s = None
        min_size = self.backbone.spec.min_size
        if self.picture is not None and s is not None:
            try:
                octave_shapes(self.picture.shape[:2], s.octaves, s.octave_scale, min_size)
            except DreamlibError as e:
                found.append(str(e))
        if 0 < self.tile_size.value < min_size:
            found.append(f"tile size {self.tile_size.value} is below {self.backbone.name}'s minimum input of "
                         f"{min_size} px: use 0 (never tile) or at least {min_size}")
        return found

    def _refresh(self):
        """Enable what makes sense now, and say in red why Dream is disabled."""
        problems = self.problems()
        self.explanation.value = _red(problems)
        busy = self.dreaming
        for control in self.inputs:
            control.disabled = busy
        guided = self.guide_choice.value != NO_GUIDE
        self.guide_layer.disabled = busy or not guided
        self.layer_choice.disabled = self.layer_weights.disabled = busy or guided  # the guide decides
        self.dream_button.disabled = busy or bool(problems)
        self.stop_button.disabled = not busy
        self.save_button.disabled = busy or self.result is None

    def _show_picture(self):
        if self.picture is not None and not self.dreaming:
            self.preview.value = png_bytes(self.picture)
            self.preview.layout.width = f"{max(self.picture.shape[1], 256)}px"

    # ------------------------------------------------------------------ dreaming

    def dream_settings(self):
        """The ``DreamSettings`` the controls describe."""
        from dreamlib.dream import DreamSettings

        return DreamSettings(**{**asdict(self.base_settings), "steps": self.steps.value,
                                "step_size": float(self.step_size.value), "octaves": self.octaves.value,
                                "octave_scale": float(self.octave_scale.value), "tile_size": self.tile_size.value,
                                "lost_detail": self.lost_detail.value})

    def _objective(self):
        """(key, make): the objective's builder, and a key that changes exactly when it must be rebuilt."""
        backbone, guide = self.backbone, self.guide
        if guide is not None:
            from dreamlib.guided import guide_layer, guided_objective

            layer = guide_layer(backbone, None if self.guide_layer.value == AUTO_LAYER else self.guide_layer.value)
            key = (backbone.name, backbone.untrained, "guide", self._guide_version, layer)
            return key, lambda: guided_objective(backbone, guide, layer)
        from dreamlib.objectives import weighted_layers

        weights = self._parse_layers()
        return (backbone.name, backbone.untrained, "layers", tuple(weights.items())), lambda: weighted_layers(weights)

    def _source(self, choice, upload):
        """A picture's name for the record: the sample's, or the uploaded file's."""
        return upload.value[-1]["name"] if choice.value == UPLOAD else choice.value

    def dream(self, wait=False):
        """Start dreaming in a background thread (``wait=True``: finish first and return the result)."""
        if self.dreaming:
            raise DreamlibError("a dream is already running: press Stop or wait for it")
        problems = self.problems()
        if problems:
            raise DreamlibError(problems[0])
        s = self.dream_settings()
        key, make_objective = self._objective()
        guided = self.guide is not None
        run = {
            "image": self._source(self.image_choice, self.image_upload),
            "max_size": self.max_size.value,
            "model": self.backbone.name,
            "layers": None if guided else self._parse_layers(),
            "guide": self._source(self.guide_choice, self.guide_upload) if guided else None,
            "guide_layer": key[-1] if guided else None,
        }
        self._stop.clear()
        self.error = None
        self.dreaming = True
        self.progress.value, self.progress.max = 0, s.steps * s.octaves
        self.progress.bar_style = ""
        self.status.value = "dreaming..."
        self._refresh()
        # copy_context: widget updates from the thread belong to this cell's output
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, daemon=True, args=(
            self._dream_thread, self.backbone, self.picture, s, key, make_objective, run))
        self._thread.start()
        return self.join() if wait else None

    def _dream_thread(self, backbone, picture, s, key, make_objective, run):
        from dreamlib.dream import build_dreamer

        try:
            if self._dreamer_key != key:
                self.status.value = "compiling the gradient..."
                self._dreamer = build_dreamer(backbone=backbone, objective_for=lambda _: make_objective())
                self._dreamer_key = key
            octaves = s.octaves

            def on_octave(index, img):
                self.preview.value = png_bytes(stamp_untrained(img, self._dreamer.untrained))
                self.status.value = f"octave {index + 1}/{octaves} done"

            def on_step(index, step, loss):
                self.progress.value = s.steps * index + step
                if self._stop.is_set():
                    self.status.value = f"stopped in octave {index + 1}/{octaves}, step {step}"
                    return False
                return True

            self.status.value = f"dreaming octave 1/{octaves}..."
            result = self._dreamer.dream(picture, s, progress=False, on_octave=on_octave, on_step=on_step)
            self.result, self._run = result, run  # Save pairs a picture only with its own settings
            self.preview.value = png_bytes(result.labelled_image())
            record = result.record
            done = "stopped: kept" if record.interrupted else "done:"
            self.status.value = (f"{done} {len(record.losses)}/{octaves} octaves in {record.seconds:.1f} s; "
                                 f"last loss {record.losses[-1][-1]:.3g}" if record.losses and record.losses[-1]
                                 else f"{done} {len(record.losses)}/{octaves} octaves")
            self.progress.bar_style = "warning" if record.interrupted else "success"
        except Exception as e:  # a thread's exception would vanish: show it where the learner looks
            self.error = str(e) if isinstance(e, DreamlibError) else f"{e.__class__.__name__}: {e}"
            self.status.value = _red([f"dream failed: {self.error}"])
            self.progress.bar_style = "danger"
        finally:
            self.dreaming = False
            self._refresh()

    def stop(self):
        """Ask the running dream to stop after its current step; the picture so far is kept."""
        if self.dreaming:
            self._stop.set()
            self.status.value = "stopping..."

    def join(self, timeout=None):
        """Wait for the running dream (if any) and return its result; a failed dream raises its error."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise DreamlibError(f"the dream is still running after {timeout} s")
        if self.error is not None:
            raise DreamlibError(self.error)
        return self.result

    # ------------------------------------------------------------------ saving

    def save(self):
        """Write the last dream as PNG (record in its metadata) plus its settings as JSON; never overwrite."""
        if self.result is None:
            raise DreamlibError("nothing to save yet: press Dream first")
        folder = Path(self.folder.value.strip() or ".").expanduser()
        run = self._run
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{Path(run['image']).stem}_{run['model']}")
        stem = free_stem(folder, stem)
        png = self.result.save(folder / f"{stem}.png")
        record = asdict(self.result.record)
        data = {**run, "picture": png.name, "weights": record["weights"], "objective": record["objective"],
                "octave_shapes": record["octave_shapes"], "interrupted": record["interrupted"],
                "seconds": record["seconds"], "settings": record["settings"]}
        path = write_json(folder / f"{stem}.json", data)
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
            self.status.value = _red([str(e)])


def explorer(image="chelsea", model=None, layers=None, random_weights=None, max_size=None, folder="dreams",
             guide=NO_GUIDE, settings=None, **overrides):
    """Open the dream explorer: ``explorer()`` as the last line of a cell shows it.

    ``model`` defaults to inception_v3 when its weights are cached, else to the best model whose
    weights are here (at least the bundled mobilenet_v2), said in one line; ``layers`` is {layer: weight}
    or "layer:weight, ..."; ``random_weights`` (default: only when no weights are cached and
    ``DREAMLIB_ALLOW_RANDOM_WEIGHTS=1``); ``settings``/``overrides`` set the starting knobs.
    """
    return Explorer(image, model, layers, random_weights, max_size, folder, guide, settings, **overrides)

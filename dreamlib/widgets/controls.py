"""The explorer's controls: every widget and where it sits; the knobs' ranges and help come from dreamlib.knobs.

``Controls`` only builds, lays out and reads widgets; what they do is ``Explorer``'s (panel.py).
A knob of ``DreamSettings`` gets a control by one row in ``KNOB_CONTROLS``: its range, default
and tooltip are the knob's own, and its value goes into every dream.
"""

import html

from dreamlib import knobs
from dreamlib.widgets.pictures import UPLOAD

NO_GUIDE = "none"
AUTO_LAYER = "model's choice"
RANDOM_WEIGHTS_TEXT = "random weights (untrained, for testing)"
WIDE = {"description_width": "initial"}
# what a saved or exported notebook shows where the live panel was (no kernel, no widget state)
SAVED_TEXT = "The dream explorer: an interactive panel that needs a running Jupyter kernel (run this cell)."

# knob: (ipywidgets class, label, options), shown three to a row in this order
KNOB_CONTROLS = {
    "steps": ("BoundedIntText", "steps per octave", {}),
    "step_size": ("FloatText", "step size", {}),  # not bounded: 0 is explained in red, not clamped away
    "octaves": ("BoundedIntText", "octaves", {}),
    "octave_scale": ("BoundedFloatText", "octave scale", {"step": 0.05}),
    "lost_detail": ("Checkbox", "reinject lost detail", {"indent": False}),
}


def knob_control(kind, name, label, value, **options):
    """An ipywidgets control (class name ``kind``) for knob ``name``: its range and help from dreamlib.knobs."""
    import ipywidgets as w

    knob = knobs.knob(name)
    if kind.startswith("Bounded"):
        options = {"min": knob.low, "max": knob.high, **options}
    if kind != "Checkbox":
        options["style"] = WIDE
    return getattr(w, kind)(value=value, description=label, tooltip=knob.describe(), **options)


def red(lines):
    """HTML for ``lines`` in red, one per line: how the explorer says what is wrong."""
    return "".join(f"<div style='color:#c00'>{html.escape(line, quote=False)}</div>" for line in lines)


class Controls:
    """The explorer's widgets and their layout; ``.widget`` is the whole panel (a cell shows it)."""

    def __init__(self, image, pictures, model, models, random_weights, max_size, folder, guide, guides,
                 settings):
        """``pictures``/``guides``: the dropdowns' choices; ``models``: (label, name) pairs;
        ``settings``: the ``DreamSettings`` the knob controls start from."""
        import ipywidgets as w

        self.image_choice = w.Dropdown(options=[*pictures, UPLOAD], value=image, description="image", style=WIDE)
        self.image_upload = w.FileUpload(accept="image/*", multiple=False, description="upload image")
        self.max_size = knob_control("BoundedIntText", "max_size", "max size (px)", max_size)
        self.model_choice = w.Dropdown(options=models, value=model, description="model", style=WIDE)
        self.random_weights = w.Checkbox(value=bool(random_weights), description=RANDOM_WEIGHTS_TEXT, indent=False)
        self.layer_choice = w.SelectMultiple(options=[], rows=6, description="layers", style=WIDE)
        self.layer_weights = w.Text(description="layer:weight", style=WIDE, layout=w.Layout(width="420px"),
                                    continuous_update=True)
        self.layer_error = w.HTML()
        channels = knobs.knob("channels")
        self.channels = w.Text(description="channels", placeholder="all (or 3,7,12 / strongest:5 / weakest:5)",
                               tooltip=channels.describe(), style=WIDE, layout=w.Layout(width="420px"))
        # the knob controls, also reachable by name (self.steps, self.octaves...)
        start = {"step_size": settings.step_size or 0.01, "octaves": int(settings.octaves)}
        self.knob_controls = {
            name: knob_control(kind, name, label, start.get(name, getattr(settings, name)), **options)
            for name, (kind, label, options) in KNOB_CONTROLS.items()}
        for name, control in self.knob_controls.items():
            setattr(self, name, control)
        self.guide_choice = w.Dropdown(options=[*guides, UPLOAD], value=guide, description="guide", style=WIDE)
        self.guide_upload = w.FileUpload(accept="image/*", multiple=False, description="upload guide")
        self.guide_layer = w.Dropdown(options=[AUTO_LAYER], description="guide layer", style=WIDE)
        self.dream_button = w.Button(description="Dream", button_style="primary", icon="play")
        self.stop_button = w.Button(description="Stop", button_style="warning", icon="stop",
                                    tooltip="stops after the current step and keeps the picture made so far")
        self.save_button = w.Button(description="Save", button_style="success", icon="save")
        self.folder = w.Text(value=str(folder), description="folder", style=WIDE)
        self.explanation = w.HTML()
        self.progress = w.IntProgress(value=0, min=0, max=1, description="progress", style=WIDE)
        self.status = w.HTML("Press Dream.")
        self.warning = w.HTML()
        # natural size (at least 256 px wide, so a tiny picture is still visible), never wider than the cell
        self.preview = w.Image(format="png", layout=w.Layout(max_width="100%", align_self="flex-start"))
        self.preview.add_class("dreamlib-preview")

        knob_row = list(self.knob_controls.values())
        self.widget = w.VBox([
            w.HBox([self.image_choice, self.image_upload, self.max_size]),
            w.HBox([self.model_choice, self.random_weights]),
            w.HBox([self.layer_choice, w.VBox([self.layer_weights, self.layer_error, self.channels])]),
            *(w.HBox(knob_row[i:i + 3]) for i in range(0, len(knob_row), 3)),
            w.HBox([self.guide_choice, self.guide_upload, self.guide_layer]),
            w.HBox([self.dream_button, self.stop_button, self.save_button, self.folder]),
            self.explanation, w.HBox([self.progress, self.status]), self.warning, self.preview,
        ])
        self.widget.add_class("dreamlib-explorer")
        self.inputs = [self.image_choice, self.image_upload, self.max_size, self.model_choice, self.random_weights,
                       self.layer_choice, self.layer_weights, self.channels, *self.knob_controls.values(),
                       self.guide_choice,
                       self.guide_upload, self.guide_layer, self.folder]

    def _repr_mimebundle_(self, **kwargs):
        """The live panel for a running kernel; one line (SAVED_TEXT) for a saved or exported page."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if bundle:
            bundle["text/plain"] = SAVED_TEXT
            bundle["text/html"] = f"<p><em>{html.escape(SAVED_TEXT)}</em></p>"
        return bundle

    def knob_values(self):
        """``{knob: value}`` of the knob controls, each in its knob's type."""
        return {name: knobs.knob(name).type(control.value) for name, control in self.knob_controls.items()}

    def channel_text(self):
        """The channels asked for ("3,7", "strongest:5"...), or None for every channel."""
        return self.channels.value.strip() or None

    def guided(self):
        """True when a guide picture, not the layer fields, decides what the dream grows."""
        return self.guide_choice.value != NO_GUIDE

    def enable(self, busy, problems, has_result):
        """Enable what makes sense now; ``problems`` (lines) disable Dream and are shown in red."""
        self.explanation.value = red(problems)
        for control in self.inputs:
            control.disabled = busy
        self.guide_layer.disabled = busy or not self.guided()
        self.layer_choice.disabled = self.layer_weights.disabled = busy or self.guided()  # the guide decides
        self.channels.disabled = busy or self.guided()
        self.dream_button.disabled = busy or bool(problems)
        self.stop_button.disabled = not busy
        self.save_button.disabled = busy or not has_result

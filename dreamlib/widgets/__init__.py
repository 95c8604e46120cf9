"""The dream explorer: every knob of a dream as a notebook widget, with a live preview.

``explorer()`` in a notebook cell shows controls for the picture, model, layers and their
weights, the channels to dream with, steps, step size, octaves and a guide picture (tiles are
sized for the machine's memory);
**Dream** runs the dream in a background thread so the kernel stays free to hear **Stop**, and
the preview updates after every octave. **Save** writes the picture (PNG, settings in its
metadata) and a JSON of the settings next to it. Controls that make no sense together disable
**Dream** and say why in red.

Its parts, one module each:

- ``controls``  the widgets and their layout; the knobs' ranges, defaults and help from dreamlib.knobs
- ``checks``    why Dream is disabled: the knobs' and the dream's own checks, collected as lines
- ``dreaming``  the background thread that runs a dream, hears Stop and reports progress
- ``saving``    Save: the picture and a replayable JSON of its settings, never overwriting
- ``pictures``  pictures in and out of widgets (dropdowns, uploads, the preview)
- ``panel``     ``Explorer``: the controls wired to the network and to the parts above
"""

from dreamlib.widgets.controls import AUTO_LAYER, NO_GUIDE, UPLOAD
from dreamlib.widgets.panel import Explorer, explorer
from dreamlib.widgets.saving import free_stem

__all__ = ["AUTO_LAYER", "NO_GUIDE", "UPLOAD", "Explorer", "explorer", "free_stem"]

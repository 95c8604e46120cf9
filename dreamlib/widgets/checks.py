"""Why the explorer's Dream button is disabled: the knobs' own checks, said as lines in red.

Nothing here is the explorer's own rule: a knob's value is checked by ``dreamlib.knobs``, the
layer text by its parser, and whether the picture fits the network by ``dream.fit_problems`` (the
check every dream makes). The explorer only collects the lines, so that a learner sees every
problem at once, before pressing Dream.
"""

import os

from dreamlib import knobs
from dreamlib.errors import DreamlibError


def arguments(layers, random_weights, max_size, folder):
    """The explorer's own arguments checked as the knobs are (one line naming the fix).

    Returns them with ``layers`` ({layer: weight} or text) as the text its field shows.
    """
    max_size = knobs.knob("max_size").check(max_size)
    if isinstance(layers, dict):  # each weight read as if typed, so that a bad one is said as such
        typed = ",".join(f"{name}:{weight}" for name, weight in layers.items())
        layers = ", ".join(f"{name}:{weight:g}" for name, weight in knobs.parse_layer_weights(typed).items())
    elif layers is not None and not isinstance(layers, str):
        raise DreamlibError(f"layers is {{layer: weight}} or text such as 'mixed3:1.0, mixed5:1.5'; got {layers!r}")
    if random_weights is not None and not isinstance(random_weights, bool):
        raise DreamlibError(f"random_weights must be True, False or None (only when no ImageNet weights are "
                            f"here and the course allows it); got {random_weights!r}")
    if not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise DreamlibError(f"folder is where Save writes the pictures, such as 'dreams'; got {folder!r}")
    return layers, random_weights, max_size, folder


def parse_layers(text, backbone, examples=()):
    """``{layer: weight}`` from "layer:weight, ..."; one line for a typo or a layer ``backbone`` lacks."""
    weights = knobs.parse_layer_weights(text)
    names = {layer.name for layer in backbone.model.layers}
    for name in weights:
        if name not in names:
            raise DreamlibError(f"{backbone.name} has no layer called {name!r}: pick layers from the list "
                                f"(for example {', '.join(examples[:4])})")
    return weights


def problems(backbone, picture, make_settings, layer_text=None, examples=(), known=(), channel_text=None):
    """Every reason a dream cannot run, one line each (empty when it can).

    ``make_settings()`` builds the ``DreamSettings`` (its knobs are checked as it is built);
    ``layer_text`` and ``channel_text`` are checked unless None (a guided dream ignores them);
    ``known`` are lines found earlier (an unreadable picture, missing weights), listed first.
    """
    from dreamlib.dream import fit_problems

    found = [line for line in known if line]
    if layer_text is not None:
        try:
            layers = parse_layers(layer_text, backbone, examples)
            if channel_text is not None:
                knobs.knob("channels").check(channel_text)
                if knobs.parse_channels(channel_text)[0] == "indices":  # ranks are taken on the picture
                    from dreamlib.channels import choose_channels

                    choose_channels(backbone, layers, channel_text)
        except DreamlibError as e:
            found.append(str(e))
    try:
        settings = make_settings()
    except DreamlibError as e:
        return [*found, str(e)]
    return [*found, *fit_problems(None if picture is None else picture.shape, settings, backbone.spec)]

"""Why the explorer's Dream button is disabled: the knobs' own checks, said as lines in red.

Nothing here is the explorer's own rule: a knob's value is checked by ``dreamlib.knobs``, the
layer text by its parser, and whether the picture fits the network by ``dream.fit_problems`` (the
check every dream makes). The explorer only collects the lines, so that a learner sees every
problem at once, before pressing Dream.
"""

from dreamlib import knobs
from dreamlib.errors import DreamlibError


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

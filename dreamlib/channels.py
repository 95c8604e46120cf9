"""Channels: which channels of a layer a picture excites most (or least), to dream with only those.

A layer's channels each detect one pattern. Dreaming with a whole layer amplifies all of them at
once; dreaming with a few lets one choose: the channels this picture already excites most (the
dream exaggerates what is there), the weakest ones that still respond (it brings out faint
patterns), or any channels by number - the channel selection of neural-dream. The choice is the
``channels`` knob (``dreamlib.knobs``): "3,7,12", "strongest:5" or "weakest:5".
"""

import numpy as np

from dreamlib.errors import DreamlibError
from dreamlib.images import resize_image
from dreamlib.knobs import parse_channels
from dreamlib.models import feature_extractor

RANKING_SIZE = 512  # channels are ranked on the picture shrunk to at most this many pixels a side


def channel_activations(backbone, layer, image):
    """Mean activation of every channel of ``layer`` on ``image`` (float RGB [0, 255]), shape (channels,)."""
    image = np.asarray(image, np.float32)
    longest = max(image.shape[:2])
    if longest > RANKING_SIZE:
        shape = tuple(max(backbone.spec.min_size, round(side * RANKING_SIZE / longest)) for side in image.shape[:2])
        image = resize_image(image, shape)
    activations = feature_extractor(backbone, [layer])(backbone.preprocess(image)[None], training=False)
    return np.asarray(activations, np.float64)[0].mean(axis=(0, 1))


def rank_channels(backbone, layer, image, count=None, weakest=False):
    """[(channel, mean activation)] of ``layer`` on ``image``: the strongest first (or the weakest).

    The weakest are taken among channels that respond somewhere on the picture: a channel that is
    zero everywhere gives a dream no gradient to follow.
    """
    means = channel_activations(backbone, layer, image)
    order = np.argsort(means, kind="stable")
    if weakest:
        order = [i for i in order if means[i] > 0]
    else:
        order = order[::-1]
    return [(int(i), float(means[i])) for i in list(order)[:count]]


def channel_count(backbone, layer):
    """How many channels ``layer`` of ``backbone`` has, or one line naming the fix if it has no such layer."""
    try:
        return int(backbone.model.get_layer(layer).output.shape[-1])
    except ValueError:
        raise DreamlibError(f"{backbone.name} has no layer called {layer!r}: run `dreamlib layers "
                            f"{backbone.name}` to list them") from None


def check_channel(backbone, layer, index):
    """``index`` (numpy whole numbers welcome) as an int, if ``layer`` has that channel; else one line."""
    count = channel_count(backbone, layer)
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)) or not 0 <= index < count:
        raise DreamlibError(f"{layer} has {count} channels: a channel is a whole number from 0 to {count - 1}; "
                            f"got {index!r}")
    return int(index)


def choose_channels(backbone, layers, text, image=None):
    """{layer: [channel indices]} for the ``channels`` knob's ``text``, for each of ``layers``.

    Numbers are checked against each layer's channel count; "strongest:K" and "weakest:K" rank
    each layer's channels on ``image``.
    """
    rank, chosen = parse_channels(text)
    result = {}
    for layer in layers:
        count = channel_count(backbone, layer)
        if rank == "indices":
            missing = [i for i in chosen if i >= count]
            if missing:
                raise DreamlibError(f"{layer} has {count} channels (0..{count - 1}); channel {missing[0]} does "
                                    f"not exist: list the strongest with `dreamlib channels PICTURE --layer {layer}`")
            result[layer] = list(chosen)
            continue
        if image is None:
            raise DreamlibError(f"channels {text!r} are ranked on the picture: give the picture too")
        ranked = rank_channels(backbone, layer, image, chosen, weakest=rank == "weakest")
        if not ranked:
            raise DreamlibError(f"no channel of {layer} responds to this picture: choose channels by number "
                                f"or another layer")
        result[layer] = [index for index, _ in ranked]
    return result

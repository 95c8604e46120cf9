"""The explorer's Save: the picture (its record in the PNG) and a JSON of how it was made, never overwriting.

The JSON holds what ``dreamlib dream --settings FILE.json`` replays (dreamlib.knobs.read_saved):
the picture's name, model, layers or guide, max size and every knob of the dream.
"""

import re
from dataclasses import asdict
from pathlib import Path

from dreamlib.files import write_json


def free_stem(folder, stem, suffixes=(".png", ".json")):
    """``stem``, or ``stem_2``, ``stem_3``... : the first name unused in ``folder`` by every suffix."""
    number = 1
    while True:
        candidate = stem if number == 1 else f"{stem}_{number}"
        if not any((Path(folder) / f"{candidate}{suffix}").exists() for suffix in suffixes):
            return candidate
        number += 1


def save_dream(result, run, folder):
    """Write ``result`` as ``<picture>_<model>.png`` plus ``.json`` in ``folder``; return both paths.

    ``run`` is what the panel knew when the dream started (picture, max size, model, layers or
    guide); the record adds the rest. A free name is chosen, and a file that appears meanwhile is
    never replaced (``files.atomic_write``).
    """
    folder = Path(str(folder).strip() or ".").expanduser()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{Path(run['image']).stem}_{run['model']}")
    stem = free_stem(folder, stem)
    result.record.max_size = run["max_size"]  # the PNG alone replays the dream, too
    png = result.save(folder / f"{stem}.png")
    record = asdict(result.record)
    data = {**run, "picture": png.name, "weights": record["weights"], "objective": record["objective"],
            "octave_shapes": record["octave_shapes"], "interrupted": record["interrupted"],
            "seconds": record["seconds"], "settings": record["settings"]}
    return png, write_json(folder / f"{stem}.json", data)

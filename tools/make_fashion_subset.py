"""Make the Fashion-MNIST subset bundled in ``dreamlib/datasets/fashion-mnist`` from the full set.

The subset is the same four idx files as the original, gzipped, holding fewer pictures: 600 of
each class from the 60,000 training pictures and 100 of each class from the 10,000 test pictures,
drawn with a fixed seed and kept in their original order. The gzip headers carry no time stamp or
file name, so the same full set always gives the same bytes (``tests/test_data.py`` checks the
bundled files against their hashes in ``CREDITS.md``, and against this script where the full set
is installed).

Run: ``python tools/make_fashion_subset.py [FULL_SET_FOLDER] [OUT_FOLDER]``; the full set comes
from Debian's package (``sudo apt-get install dataset-fashion-mnist``, the default folder).
"""

import gzip
import hashlib
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dreamlib import data  # noqa: E402 (after the path: runs from a checkout without installing)

FULL_SET = Path("/usr/share/datasets/fashion-mnist")
OUT = ROOT / "dreamlib" / "datasets" / "fashion-mnist"
PER_CLASS = {"train": 600, "test": 100}
SEED = 20170825  # Fashion-MNIST's first release, 25 August 2017


def write_idx_gz(path, array):
    """``array`` (uint8) as a gzipped idx file: magic 0, 0, 0x08, ndim, big-endian sizes, the bytes."""
    array = np.ascontiguousarray(array, np.uint8)
    raw = bytes([0, 0, data.IDX_UBYTE, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with open(path, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as gz:
        gz.write(raw + array.tobytes())
    return path


def choose(labels, per_class, rng):
    """Indices of ``per_class`` pictures of every class, drawn by ``rng``, in their original order."""
    picked = [rng.choice(np.flatnonzero(labels == k), per_class, replace=False) for k in range(10)]
    return np.sort(np.concatenate(picked))


def make_subset(full_set=FULL_SET, out=OUT, seed=SEED):
    """Write the subset's four files into ``out``; returns {file name: sha256}."""
    full_set, out = Path(full_set), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    hashes = {}
    for split in ("train", "test"):
        images, labels = data._read_idx_split(full_set, split)
        if len(labels) != {"train": 60000, "test": 10000}[split]:
            raise SystemExit(f"{full_set} holds {len(labels)} {split} pictures: not the full Fashion-MNIST")
        keep = choose(labels, PER_CLASS[split], rng)
        for name, array in zip(data.IDX_FILES[split], (images[keep], labels[keep])):
            path = write_idx_gz(out / name, array)
            hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


if __name__ == "__main__":
    args = sys.argv[1:]
    source = Path(args[0]) if args else FULL_SET
    if not (source / data.IDX_FILES["train"][0]).is_file():
        raise SystemExit(f"no Fashion-MNIST in {source}: sudo apt-get install {data.DEBIAN_PACKAGE}, "
                         f"or name the folder that holds the four *-ubyte.gz files")
    target = Path(args[1]) if len(args) > 1 else OUT
    for name, digest in make_subset(source, target).items():
        print(f"{name}  {(target / name).stat().st_size:>9,} bytes  sha256 {digest}")

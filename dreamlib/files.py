"""Files written safely: the rules every picture, animation, JSON record and weights copy follows.

A file is written to a hidden temp file in its own folder, flushed to disk, then renamed into
place: a crash or a full disk never leaves half a file under the real name. An existing file is
replaced only when asked (``overwrite``), never when it appeared while this run was working, and
never when it is one of the run's inputs. Temp files carry ``TEMP_TAG`` in their names: a
``kill -9`` cannot be caught, so the next write into the same folder removes those left over
(older than ``STALE_SECONDS``: a live writer keeps touching its file).
"""

import os
import tempfile
import time
from pathlib import Path

from dreamlib.errors import DreamlibError

TEMP_TAG = ".dreamlib-tmp"
STALE_SECONDS = 30 * 60


def remove_stale_temps(folder, older_than=STALE_SECONDS):
    """Delete dreamlib's temp files in ``folder`` untouched for ``older_than`` seconds; return their names."""
    removed = []
    now = time.time()
    for path in Path(folder).glob(f".*{TEMP_TAG}*"):
        try:
            if now - path.stat().st_mtime > older_than:
                path.unlink()
                removed.append(path.name)
        except OSError:  # gone already, or not ours to delete: leave it
            pass
    return removed


def temp_beside(path):
    """A new, empty temp file next to ``path`` (hidden, tagged, same suffix), or one line saying why not.

    Stale temp files of earlier, killed runs in that folder are removed first.
    """
    path = Path(path)
    remove_stale_temps(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f"{TEMP_TAG}{path.suffix}", dir=path.parent)
    except OSError as e:
        raise DreamlibError(f"cannot write into the folder {path.parent} ({e.strerror}): choose a folder "
                            f"you can write to") from None
    os.close(fd)
    return tmp


def _target(path, overwrite, protect, example):
    """``path`` as a ``Path`` once it may be written (its folder made), or one line naming the fix."""
    path = Path(path).expanduser()
    try:
        for kept in protect:  # samefile: the input itself, through a link or under another name
            if kept is not None and path.exists() and Path(kept).exists() and os.path.samefile(path, kept):
                raise DreamlibError(f"refusing to overwrite the input picture {path}: choose another output name")
        if path.is_dir():
            raise DreamlibError(f"{path} is a folder: give a file name such as {path / example}")
        if os.path.lexists(path) and not overwrite:  # lexists: a link to nowhere is there, too
            raise DreamlibError(f"{path} already exists: choose another name or pass overwrite=True (--overwrite)")
    except OSError as e:  # a folder on the way that may not be looked into
        raise DreamlibError(f"cannot write into the folder {path.parent} ({e.strerror}): choose a folder "
                            f"you can write to") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file where a folder should be, a read-only disk
        raise DreamlibError(f"cannot create the folder {path.parent} ({e.strerror}): choose another place") from None
    return path


def check_writable(path, overwrite=False, protect=(), example="dream.png"):
    """Every check ``atomic_write`` makes before writing, done now (before a long dream): one line if not."""
    path = _target(path, overwrite, protect, example)
    os.unlink(temp_beside(path))  # the folder takes new files
    return path


def atomic_write(path, write, overwrite=False, protect=(), example="dream.png"):
    """Write a file through ``write(temp_path)`` and rename it into place: never a half-written file.

    Refuses to replace an existing file unless ``overwrite`` and never replaces a path listed in
    ``protect`` (the input pictures). The temp file sits in the same folder and keeps the real
    suffix (some writers, such as ffmpeg, choose the format from it). Returns the final path.
    """
    path = _target(path, overwrite, protect, example)
    tmp = temp_beside(path)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())  # on disk before the rename
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; give them the usual mode
        _move_into_place(tmp, path, overwrite)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, FileExistsError):  # another run saved there while this one was dreaming
            raise DreamlibError(f"{path} appeared while dreaming (another run?): choose another name "
                                f"or pass overwrite=True (--overwrite)") from None
        if isinstance(e, (OSError, RuntimeError)):  # a full disk, or an encoder failing
            first_line = (str(e).strip().splitlines() or [""])[0]  # encoders' messages run for pages
            reason = getattr(e, "strerror", None) or f"{e.__class__.__name__}: {first_line}"
            raise DreamlibError(f"cannot write {path} ({reason}): check the folder and free space") from None
        raise
    return path


def _move_into_place(tmp, path, overwrite):
    """Rename ``tmp`` to ``path``; without ``overwrite`` never replace a file that appeared meanwhile."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)        # atomic: fails with FileExistsError if anything is at path now
    except FileExistsError:
        raise
    except OSError:               # a file system without hard links (FAT, some shares)
        if os.path.lexists(path):
            raise FileExistsError(path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def write_json(path, data, overwrite=False):
    """Write ``data`` as JSON atomically (see ``atomic_write``): a kill never leaves half a file."""
    import json

    text = json.dumps(data, indent=2, default=str) + "\n"
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text), overwrite, example="settings.json")

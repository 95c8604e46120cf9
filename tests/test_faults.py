"""The fault battery: bad input and faults as a new user meets them, each ending cleanly.

Every case ends with one line naming the fix (exit status 2 on the command line, 130 for an
interruption, a ``DreamlibError`` in Python): no traceback, no lost or replaced file, no stray
temp file. Most cases fail before TensorFlow has any work to do, so the battery is quick.
Permissions are tested for real in a process that obeys them (as root: with root's power to ignore
them dropped by ``setpriv``), a full disk on a small tmpfs (as root), a ``kill -9`` on a real process.
"""

import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dreamlib import files, images, knobs
from dreamlib.cli import main
from dreamlib.errors import DreamlibError

TINY = ["--model", "mobilenet_v2", "--random-weights", "--layers", "block_1_expand_relu:1", "--steps", "1",
        "--octaves", "1", "--max-size", "64"]


def run(argv, capsys):
    """``dreamlib ARGV``: (exit status, the last stderr line), checking that no traceback was printed."""
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own errors
        code = e.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    return code, lines[-1] if lines else ""


def no_temp_files(folder):
    return [p.name for p in folder.rglob(".*") if files.TEMP_TAG in p.name or ".part" in p.name]


def _bad_texts(knob):
    """Texts a user might type that the knob must refuse."""
    if knob.name == "model":
        return ["alexnet", "", "MOBILENET"]
    if knob.name == "layers":
        return ["", ",", ":1", "x:big", "x:nan", "x:inf"]
    if knob.choices:
        return ["nope", "", knob.choices[0].upper()]
    bad = ["abc", "", "nan", "inf", "-inf", "1e999"]
    if knob.type is int:
        bad += ["1.5", "0x10", str(int(knob.low) - 1)]
    elif knob.above:
        bad += [str(knob.low), "-1"]
    if knob.high is not None:
        bad.append(str(int(knob.high) + 1))
    return bad


OPTION_CASES = [("dream", k.option, text) for k in knobs.SETTINGS + knobs.RUN if k.type is not bool
                for text in _bad_texts(k)] + [("zoom", k.option, text) for k in knobs.ZOOM for text in _bad_texts(k)]


@pytest.mark.parametrize("command,option,text", OPTION_CASES)
def test_every_bad_option_value_is_one_line(tmp_path, capsys, command, option, text):
    out = tmp_path / ("out.png" if command == "dream" else "zoom.gif")
    code, line = run([command, "chelsea", str(out), *TINY, option, text], capsys)
    assert code == 2 and line.startswith("dreamlib: "), line
    assert not out.exists() and not no_temp_files(tmp_path)


@pytest.mark.parametrize("extra,advice", [
    (["--layers", "block_1_expand_relu:1"], "use --guide-layer NAME instead of --layers"),
    (["--objective", "mean"], "use --guide-layer NAME instead of --objective"),
    (["--border", "2"], "use --guide-layer NAME instead of --border"),
    (["--guide-size", "0"], "--guide-size is the guide's longest side in pixels"),
    (["--guide-size", "big"], "'big' is not a whole number"),
])
def test_guided_options_that_make_no_sense_are_one_line(tmp_path, capsys, extra, advice):
    code, line = run(["guided", "chelsea", "coffee", str(tmp_path / "out.png"), *TINY[:3], *extra], capsys)
    assert code == 2 and advice in line, line
    assert list(tmp_path.iterdir()) == []


def _input_cases(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("not a picture")
    whole = images.save_image(np.full((40, 40, 3), 90.0), tmp_path / "whole.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "folder").mkdir()
    return {"missing": (str(tmp_path / "nope.png"), "no image file"),
            "empty file": (str(tmp_path / "empty.png"), "cannot read"),
            "text file": (str(tmp_path / "text.jpg"), "cannot read"),
            "truncated": (str(tmp_path / "truncated.png"), "cannot read"),
            "folder": (str(tmp_path / "folder"), "is a folder"),
            "blank name": ("  ", "a picture is a file path"),
            "sample typo": ("chelsae", "bundled sample"),
            "tiny picture": (str(images.save_image(np.full((3, 3, 3), 90.0), tmp_path / "tiny.png")),
                             "below this model's minimum of 32 px: use a picture at least 32 px")}


@pytest.mark.parametrize("case", ["missing", "empty file", "text file", "truncated", "folder", "blank name",
                                  "sample typo", "tiny picture"])
def test_every_bad_input_picture_is_one_line(tmp_path, capsys, case):
    source, advice = _input_cases(tmp_path)[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, line = run(["dream", source, str(tmp_path / "out.png"), *TINY], capsys)
    assert code == 2 and advice in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, nothing lost


@pytest.mark.parametrize("case,advice", [
    ("out.gif2", "end the name with"), ("out.txt", "end the name with"), ("out", "end the name with"),
    ("folder", "is a folder"), ("existing.png", "already exists"), ("input", "refusing to overwrite the input"),
    ("file.txt/out.png", "cannot create the folder"), ("link-to-input.png", "refusing to overwrite the input"),
    ("dangling-link.png", "already exists"), ("hard-link.png", "refusing to overwrite the input")])
def test_every_bad_output_is_found_before_the_dream(tmp_path, capsys, monkeypatch, case, advice):
    source = images.save_image(np.full((64, 64, 3), 90.0), tmp_path / "input.png")
    images.save_image(np.zeros((8, 8, 3)), tmp_path / "existing.png")
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("a file, not a folder")
    (tmp_path / "link-to-input.png").symlink_to(source)
    (tmp_path / "dangling-link.png").symlink_to(tmp_path / "gone.png")
    os.link(source, tmp_path / "hard-link.png")  # the input under another name
    kept = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    monkeypatch.setattr("dreamlib.cli.make_dreamer", lambda *a, **k: pytest.fail("dreamed before checking"))
    output = str(source) if case == "input" else str(tmp_path / case)
    extra = ["--overwrite"] if case in ("input", "link-to-input.png", "hard-link.png") else []
    code, line = run(["dream", str(source), output, *TINY, *extra], capsys)
    assert code == 2 and advice in line, line
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == kept
    assert not no_temp_files(tmp_path)


@pytest.mark.parametrize("name,value", [("DREAMLIB_QUICK", "banana"), ("DREAMLIB_QUICK", "2"),
                                        ("DREAMLIB_ALLOW_RANDOM_WEIGHTS", "maybe"), ("DREAMLIB_OFFLINE", "offline")])
def test_a_nonsense_switch_is_one_line(tmp_path, capsys, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    code, line = run(["dream", "chelsea", str(tmp_path / "out.png"), "--model", "mobilenet_v2", "--steps", "1"],
                     capsys)
    assert code == 2 and f"{name}={value!r} is neither on nor off" in line


def test_keras_home_that_is_a_file_is_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "home").write_text("a file")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    (tmp_path / "usb").mkdir()
    code, line = run(["weights", "import", str(tmp_path / "usb")], capsys)
    assert code == 2 and "set KERAS_HOME to a folder you can write to" in line


@pytest.mark.parametrize("name", [k.name for k in knobs.SETTINGS])
@pytest.mark.parametrize("bad", [True, "3", float("nan"), float("-inf"), [object()], {"a": 1}, b"1"])
def test_every_bad_python_setting_is_one_line(name, bad):
    from dreamlib.dream import DreamSettings

    if knobs.knob(name).type is bool and bad is True:
        bad = "yes"
    with pytest.raises(DreamlibError) as caught:
        DreamSettings(**{name: bad})
    assert str(caught.value).startswith(f"{name} must be ") and "\n" not in str(caught.value)


@pytest.mark.parametrize("source", [None, 123, "", b"garbage bytes", 3.5, ["chelsea"]])
def test_load_image_misuse_is_one_line(source):
    with pytest.raises(DreamlibError):
        images.load_image(source)


def test_a_file_that_appears_meanwhile_is_never_replaced(tmp_path):
    target = tmp_path / "dream.png"

    def slow_writer(tmp):  # another run saves under the same name while this one writes
        target.write_bytes(b"the other run's picture")
        Image.new("RGB", (4, 4)).save(tmp, format="PNG")

    with pytest.raises(DreamlibError, match="appeared while dreaming"):
        files.atomic_write(target, slow_writer)
    assert target.read_bytes() == b"the other run's picture" and not no_temp_files(tmp_path)


def test_two_savers_of_one_name_never_both_succeed(tmp_path):
    target, outcomes, start = tmp_path / "same.png", [], threading.Barrier(2)

    def save(value):
        start.wait()
        try:
            images.save_image(np.full((300, 300, 3), value), target)
            outcomes.append("saved")
        except DreamlibError as e:
            outcomes.append(str(e))

    threads = [threading.Thread(target=save, args=(v,)) for v in (10.0, 200.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("saved") == 1 and not no_temp_files(tmp_path)


@pytest.mark.parametrize("fault", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt(),
                                   RuntimeError("encoder failed\n" + "detail\n" * 50)])
def test_a_fault_while_saving_leaves_no_file_at_all(tmp_path, fault):
    def failing(tmp):
        with open(tmp, "wb") as f:
            f.write(b"half a picture")
        raise fault

    expected = KeyboardInterrupt if isinstance(fault, KeyboardInterrupt) else DreamlibError
    with pytest.raises(expected) as caught:
        files.atomic_write(tmp_path / "out.png", failing)
    assert list(tmp_path.iterdir()) == []
    if expected is DreamlibError:
        assert "\n" not in str(caught.value)


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_an_interrupted_dream_is_kept_but_not_passed_off_as_finished(tmp_path, capsys, monkeypatch, stop):
    from dreamlib import render

    real = render.Loop.run  # one run per octave
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # during the second octave
            if stop == "sigterm":
                os.kill(os.getpid(), signal.SIGTERM)
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(render.Loop, "run", interrupted)
    out = tmp_path / "out.png"
    code, line = run(["dream", "chelsea", str(out), *TINY, "--octaves", "2", "--steps", "2", "--max-size", "96"], capsys)
    assert code == 130 and "interrupted after 2 steps: the unfinished picture is in" in line
    assert not out.exists() and (tmp_path / "out.interrupted.png").is_file() and not no_temp_files(tmp_path)


def test_sigterm_before_the_dream_stops_like_ctrl_c(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("dreamlib.cli.make_dreamer", lambda *a, **k: os.kill(os.getpid(), signal.SIGTERM))
    code, line = run(["dream", "chelsea", str(tmp_path / "out.png"), *TINY], capsys)
    assert code == 130 and line == "dreamlib: stopped" and list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- permissions, for real

WITHOUT_ROOT_POWERS = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                       "--bounding-set=-dac_override,-dac_read_search"]


def run_as_a_user(argv, **environment):
    """``dreamlib ARGV`` in a new process that obeys file permissions (root is stripped of its power to
    ignore them): (exit status, the last stderr line), checking that no traceback was printed."""
    command = [sys.executable, "-m", "dreamlib", *argv]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: root reads every file")
        command = [*WITHOUT_ROOT_POWERS, *command]
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(root), **environment})
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return done.returncode, lines[-1] if lines else ""


@pytest.fixture
def locked(tmp_path):
    """A picture, a saved record and a weights folder nobody may read, and a folder nobody may enter."""
    picture = images.save_image(np.full((64, 64, 3), 90.0), tmp_path / "locked.png")
    (tmp_path / "saved.json").write_text('{"steps": 2}')
    (tmp_path / "closed").mkdir()
    images.save_image(np.full((64, 64, 3), 90.0), tmp_path / "closed" / "inside.png")
    (tmp_path / "usb").mkdir()
    (tmp_path / "usb2").mkdir()
    os.link(picture, tmp_path / "usb2" / "locked.png")  # the same locked picture, alone in a folder
    (tmp_path / "readonly").mkdir()
    modes = {picture: 0o000, tmp_path / "saved.json": 0o000, tmp_path / "closed": 0o000,
             tmp_path / "usb": 0o000, tmp_path / "readonly": 0o555}
    for path, mode in modes.items():
        path.chmod(mode)
    yield tmp_path
    for path in modes:
        path.chmod(0o755)


@pytest.mark.parametrize("case,advice", [
    ("unreadable input", "no permission to read {tmp}/locked.png: make it readable (chmod a+r"),
    ("input in a closed folder", "no permission to read {tmp}/closed: make it readable"),
    ("unreadable saved settings", "no permission to read {tmp}/saved.json"),
    ("output in a read-only folder", "cannot write into the folder {tmp}/readonly (Permission denied): choose a "
                                     "folder you can write to"),
    ("output in a closed folder", "cannot write into the folder {tmp}/closed (Permission denied)"),
    ("weights from an unreadable folder", "no permission to read {tmp}/usb"),
    ("unreadable guide", "no permission to read {tmp}/locked.png"),
    ("weights into a read-only cache", "cannot write into the Keras cache folder {tmp}/readonly/models "
                                       "(Permission denied): set KERAS_HOME to a folder you can write to"),
    ("GAN pictures in an unreadable folder", "no permission to read {tmp}/closed: make it readable"),
    ("GAN pictures nobody may read", "(for example locked.png: no permission to read it): make them readable "
                                     "(chmod a+r)"),
])
def test_permissions_are_said_as_such_with_the_fix(locked, case, advice):
    out = str(locked / "out.png")
    argv = {"unreadable input": ["dream", str(locked / "locked.png"), out],
            "input in a closed folder": ["dream", str(locked / "closed" / "inside.png"), out],
            "unreadable saved settings": ["dream", "chelsea", out, "--settings", str(locked / "saved.json")],
            "output in a read-only folder": ["dream", "chelsea", str(locked / "readonly" / "out.png")],
            "output in a closed folder": ["dream", "chelsea", str(locked / "closed" / "out.png")],
            "weights from an unreadable folder": ["weights", "import", str(locked / "usb")],
            "unreadable guide": ["guided", "chelsea", str(locked / "locked.png"), out],
            "weights into a read-only cache": ["weights", "import", str(locked)],
            "GAN pictures in an unreadable folder": ["gan", "train", "--data", str(locked / "closed"), "--out", out],
            "GAN pictures nobody may read": ["gan", "train", "--data", str(locked / "usb2"), "--out", out]}[case]
    before = sorted(p.name for p in locked.iterdir())
    keras_home = {"KERAS_HOME": str(locked / "readonly")} if "cache" in case else {}
    options = [*TINY] if argv[0] == "dream" else [*TINY[:3], *TINY[5:]] if argv[0] == "guided" else []
    code, line = run_as_a_user([*argv, *options], **keras_home)
    assert code == 2 and line.startswith("dreamlib: error: ") and advice.format(tmp=locked) in line, line
    assert "damaged" not in line and "Re-export" not in line
    assert sorted(p.name for p in locked.iterdir()) == before and not no_temp_files(locked)


def test_an_unreadable_weights_file_is_skipped_with_the_fix(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    (tmp_path / "usb").mkdir()
    name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224.h5"
    (tmp_path / "usb" / name).write_bytes(b"weights")
    real_open = open

    def no_read(path, *args, **kwargs):
        if str(path).endswith(name):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", no_read)
    code, line = run(["weights", "import", str(tmp_path / "usb")], capsys)
    assert code == 2 and line.startswith(f"dreamlib: error: nothing imported: no permission to read {tmp_path}/usb/")
    assert "chmod a+r" in line and not (tmp_path / "keras" / "models" / name).exists()


@pytest.mark.parametrize("where", ["load_image", "read_saved"])
def test_permission_denied_in_python_is_one_line_not_damaged(tmp_path, monkeypatch, where):
    path = images.save_image(np.full((40, 40, 3), 90.0), tmp_path / "mine.png")

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    if where == "load_image":
        monkeypatch.setattr(images.Image, "open", denied)
        call = lambda: images.load_image(path)  # noqa: E731
    else:
        path = path.with_suffix(".json")
        path.write_text('{"steps": 2}')
        monkeypatch.setattr(type(path), "read_text", denied)
        call = lambda: knobs.read_saved(path)  # noqa: E731
    with pytest.raises(DreamlibError) as caught:
        call()
    assert str(caught.value) == f"no permission to read {path}: make it readable (chmod a+r '{path}') or copy " \
                                f"it somewhere you can read"


# ----------------------------------------------------------------------------- weights that do not fit

@pytest.mark.parametrize("impostor", ["mobilenet_v2 without its classifier", "mobilenet v1", "an empty HDF5"])
def test_another_networks_weights_under_a_name_without_checksum_are_refused(tmp_path, monkeypatch, capsys,
                                                                           impostor):
    import h5py

    from dreamlib import models

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    usb = tmp_path / "usb"
    usb.mkdir()
    name = models.get_spec("mobilenet_v2").top.name  # Keras publishes no checksum for this file
    assert models.get_spec("mobilenet_v2").top.md5 is None
    if impostor == "an empty HDF5":
        with h5py.File(usb / name, "w") as h5:
            h5.create_dataset("w", data=np.zeros(3))
    else:
        other = models.get_spec("mobilenet_v2").notop if "v2" in impostor else models.get_spec("mobilenet").top
        shutil.copyfile(models.bundled_file(other.name), usb / name)
    code, line = run(["weights", "import", str(usb)], capsys)
    assert code == 2 and line == (f"dreamlib: error: nothing imported: {usb / name} is not a readable Keras weights "
                                  f"file for mobilenet_v2 with its classifier (another network's file, or damaged): "
                                  f"download it again")
    cache = tmp_path / "keras" / "models"
    assert not (cache / name).exists() and not no_temp_files(tmp_path)


# ----------------------------------------------------------------------------- replay

def test_a_saved_dream_replays_its_max_size_and_border(tmp_path, capsys):
    first, again = tmp_path / "first.png", tmp_path / "again.png"
    code, _ = run(["dream", "chelsea", str(first), *TINY, "--max-size", "48", "--border", "1"], capsys)
    assert code == 0
    saved = knobs.read_saved(first)
    assert saved["max_size"] == 48 and saved["border"] == 1 and saved["layers"] == "block_1_expand_relu:1.0"
    code, _ = run(["dream", "chelsea", str(again), "--model", "mobilenet_v2", "--random-weights",
                   "--settings", str(first)], capsys)
    assert code == 0
    with Image.open(first) as a, Image.open(again) as b:
        assert a.size == b.size == (48, 32)
        assert a.text["dreamlib:recipe"] == b.text["dreamlib:recipe"] and '"border": 1' in b.text["dreamlib:recipe"]
        assert a.text["dreamlib:settings"] == b.text["dreamlib:settings"]


# ----------------------------------------------------------------------------- kill -9

def test_temp_files_left_by_a_kill_9_are_removed_by_the_next_save(tmp_path):
    writer = ("import sys, time\nfrom dreamlib.files import atomic_write\n"
              "def slow(tmp):\n    open(tmp, 'wb').write(b'half a picture')\n    print('writing', flush=True)\n"
              "    time.sleep(60)\n"
              "atomic_write(sys.argv[1], slow)\n")
    root = Path(__file__).resolve().parents[1]
    killed = subprocess.Popen([sys.executable, "-c", writer, str(tmp_path / "out.png")], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(root)})
    assert killed.stdout.readline() == "writing\n"
    killed.send_signal(signal.SIGKILL)  # nothing can be cleaned up in the killed process itself
    killed.wait(30)
    killed.stdout.close()
    left = no_temp_files(tmp_path)
    assert len(left) == 1 and files.TEMP_TAG in left[0] and not (tmp_path / "out.png").exists()

    live = tmp_path / f".other.abc123{files.TEMP_TAG}.png"  # another run's, being written right now
    live.write_bytes(b"in progress")
    hours_ago = time.time() - 2 * 3600
    os.utime(tmp_path / left[0], (hours_ago, hours_ago))
    images.save_image(np.zeros((8, 8, 3)), tmp_path / "next.png")
    assert no_temp_files(tmp_path) == [live.name]  # the stale one is gone, the live one kept
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["next.png"]


# ----------------------------------------------------------------------------- a real full disk

@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 kB file system, nearly full (root may mount a tmpfs here; elsewhere the test is skipped)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a small file system here (needs root with mount rights)")
    try:
        images.save_image(np.full((8, 8, 3), 50.0), disk / "kept.png")  # a picture a run may ask to replace
        with open(disk / "filler", "wb") as f:  # leave about 4 kB: an empty temp file fits, a picture does not
            f.write(b"\0" * (os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize - 4096))
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.parametrize("command", ["dream", "dream --overwrite", "zoom"])
def test_a_full_disk_is_one_line_and_leaves_nothing(tiny_disk, capsys, command):
    before = {p.name: p.read_bytes() for p in tiny_disk.iterdir() if p.name != "filler"}
    out = tiny_disk / {"dream": "out.png", "dream --overwrite": "kept.png", "zoom": "out.gif"}[command]
    extra = {"dream": [], "dream --overwrite": ["--overwrite"], "zoom": ["--frames", "2"]}[command]
    code, line = run([command.split()[0], "chelsea", str(out), *TINY, "--max-size", "200", *extra], capsys)
    assert code == 2 and line == f"dreamlib: error: cannot write {out} (No space left on device): check the " \
                                 f"folder and free space", line
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler", "kept.png"]  # no picture, no temp file
    assert {p.name: p.read_bytes() for p in tiny_disk.iterdir() if p.name != "filler"} == before  # nothing lost


# ----------------------------------------------------------------------------- the explorer, misused

@pytest.mark.parametrize("arguments,advice", [
    ({"max_size": "big"}, "max_size must be a whole number from 1 to 100000"),
    ({"max_size": 0}, "max_size must be a whole number from 1 to 100000"),
    ({"max_size": -5}, "max_size must be"),
    ({"max_size": True}, "max_size must be"),
    ({"layers": 5}, "layers is {layer: weight} or text such as 'mixed3:1.0, mixed5:1.5'; got 5"),
    ({"layers": {"block_1_expand_relu": "lots"}}, "cannot read layer weight 'block_1_expand_relu:lots'"),
    ({"layers": {"block_1_expand_relu": float("nan")}}, "cannot read layer weight"),
    ({"layers": {}}, "no layers given"),
    ({"random_weights": "yes"}, "random_weights must be True, False or None"),
    ({"folder": None}, "folder is where Save writes the pictures, such as 'dreams'; got None"),
    ({"folder": "  "}, "folder is where Save writes"),
    ({"steps": "3"}, "steps must be a whole number"),
    ({"octaves": range(-2, 1)}, "the explorer takes a number of octaves"),
    ({"guide": "kitten"}, "guide must be 'none', a sample"),
    ({"model": "alexnet"}, "unknown model 'alexnet'"),
])
def test_explorer_misuse_is_one_line(arguments, advice):
    pytest.importorskip("ipywidgets")
    from dreamlib.widgets import explorer

    with pytest.raises(DreamlibError) as caught:
        explorer(**{"model": "mobilenet_v2", "random_weights": True, **arguments})
    assert advice in str(caught.value) and "\n" not in str(caught.value)

"""The fault battery: bad input and faults as a new user meets them, each ending cleanly.

Every case ends with one line naming the fix (exit status 2 on the command line, 130 for an
interruption, a ``DreamlibError`` in Python): no traceback, no lost or replaced file, no stray
temp file. Most cases fail before TensorFlow has any work to do, so the battery is quick.
"""

import errno
import os
import signal
import threading

import numpy as np
import pytest
from PIL import Image

from dreamlib import images, knobs
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
    return [p.name for p in folder.rglob(".*") if ".part" in p.name]


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


OPTION_CASES = [(k.option, text) for k in knobs.SETTINGS + knobs.RUN if k.type is not bool
                for text in _bad_texts(k)]


@pytest.mark.parametrize("option,text", OPTION_CASES)
def test_every_bad_option_value_is_one_line(tmp_path, capsys, option, text):
    out = tmp_path / "out.png"
    code, line = run(["dream", "chelsea", str(out), *TINY, option, text], capsys)
    assert code == 2 and line.startswith("dreamlib: "), line
    assert not out.exists() and not no_temp_files(tmp_path)


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
    ("file.txt/out.png", "cannot create the folder")])
def test_every_bad_output_is_found_before_the_dream(tmp_path, capsys, monkeypatch, case, advice):
    source = images.save_image(np.full((64, 64, 3), 90.0), tmp_path / "input.png")
    images.save_image(np.zeros((8, 8, 3)), tmp_path / "existing.png")
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("a file, not a folder")
    kept = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    monkeypatch.setattr("dreamlib.cli.make_dreamer", lambda *a, **k: pytest.fail("dreamed before checking"))
    output = str(source) if case == "input" else str(tmp_path / case)
    extra = ["--overwrite"] if case == "input" else []
    code, line = run(["dream", str(source), output, *TINY, *extra], capsys)
    assert code == 2 and advice in line, line
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == kept
    assert not no_temp_files(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_found_before_the_dream(tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, line = run(["dream", "chelsea", str(folder / "out.png"), *TINY], capsys)
    finally:
        folder.chmod(0o755)
    assert code == 2 and "cannot write into the folder" in line


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
        images.atomic_write(target, slow_writer)
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
        images.atomic_write(tmp_path / "out.png", failing)
    assert list(tmp_path.iterdir()) == []
    if expected is DreamlibError:
        assert "\n" not in str(caught.value)


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_an_interrupted_dream_is_kept_but_not_passed_off_as_finished(tmp_path, capsys, monkeypatch, stop):
    import dreamlib.dream as dream_module

    real = dream_module.gradient_ascent
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # during the second octave
            if stop == "sigterm":
                os.kill(os.getpid(), signal.SIGTERM)
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(dream_module, "gradient_ascent", interrupted)
    out = tmp_path / "out.png"
    code, line = run(["dream", "chelsea", str(out), *TINY, "--octaves", "2", "--steps", "2", "--max-size", "96"], capsys)
    assert code == 130 and "interrupted after 2 steps: the unfinished picture is in" in line
    assert not out.exists() and (tmp_path / "out.interrupted.png").is_file() and not no_temp_files(tmp_path)


def test_sigterm_before_the_dream_stops_like_ctrl_c(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("dreamlib.cli.make_dreamer", lambda *a, **k: os.kill(os.getpid(), signal.SIGTERM))
    code, line = run(["dream", "chelsea", str(tmp_path / "out.png"), *TINY], capsys)
    assert code == 130 and line == "dreamlib: stopped" and list(tmp_path.iterdir()) == []

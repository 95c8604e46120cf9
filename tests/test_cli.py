import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from dreamlib import models
from dreamlib.cli import main
from dreamlib.images import save_image
from tests.conftest import keras_weights_file

QUICK = ["--quick", "--steps", "1", "--octaves", "1", "--max-size", "64"]
RANDOM = ["--model", "mobilenet_v2", "--random-weights", "--layers", "block_1_expand_relu:1"]


def one_line_error(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("dreamlib: ")
    return err[-1]


def test_dream_writes_a_picture_and_says_where(tmp_path, capsys):
    out = tmp_path / "dream.png"
    assert main(["dream", "chelsea", str(out), *QUICK, *RANDOM, "--seed", "1"]) == 0
    assert f"Dream saved to {out}" in capsys.readouterr().out
    with Image.open(out) as pil:
        assert pil.size[0] == 64 and pil.text["dreamlib:weights"] == "random (untrained)"


def test_seed_makes_the_command_repeatable(tmp_path):
    for name in ("a.png", "b.png"):
        assert main(["dream", "coffee", str(tmp_path / name), *QUICK, *RANDOM, "--seed", "5", "--steps", "2"]) == 0
    a, b = (np.asarray(Image.open(tmp_path / n)) for n in ("a.png", "b.png"))
    assert np.array_equal(a, b)


def test_default_model_falls_back_to_cached_weights_and_says_so(tmp_path, empty_cache, capsys):
    empty_cache.mkdir(parents=True)
    keras_weights_file(empty_cache / models.get_spec("mobilenet_v2").notop.name)
    out = tmp_path / "fallback.png"
    assert main(["dream", "chelsea", str(out), *QUICK, "--layers", "block_1_expand_relu:1"]) == 0
    err = capsys.readouterr().err
    assert ("inception_v3 weights are not cached and could not be downloaded: dreaming with the bundled "
            "mobilenet_v2 (real ImageNet weights) instead (pass --model to choose)") in err
    assert out.is_file()


def test_a_model_asked_for_by_name_never_changes(tmp_path, empty_cache, capsys):
    assert main(["dream", "chelsea", str(tmp_path / "x.png"), *QUICK, "--model", "vgg19"]) == 2
    line = one_line_error(capsys)
    assert "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5" in line and "weights import" in line
    assert not (tmp_path / "x.png").exists()


def test_nothing_cached_and_offline_dreams_with_the_bundled_network(tmp_path, empty_cache, capsys):
    out = tmp_path / "x.png"
    assert main(["dream", "chelsea", str(out), *QUICK]) == 0
    captured = capsys.readouterr()
    notes = [line for line in captured.err.splitlines() if "bundled" in line]
    assert notes == ["dreamlib: inception_v3 weights are not cached and could not be downloaded: dreaming "
                     "with the bundled mobilenet_v2 (real ImageNet weights) instead (pass --model to choose)"]
    assert "model mobilenet_v2, weights imagenet" in captured.out
    with Image.open(out) as pil:
        assert pil.text["dreamlib:weights"] == "imagenet"
    assert (empty_cache / models.get_spec("mobilenet_v2").notop.name).is_file()  # filled from the package


def test_guided_without_a_model_falls_back_from_resnet50(tmp_path, empty_cache, capsys):
    assert main(["guided", "clouds", "chelsea", str(tmp_path / "g.png"), *QUICK, "--guide-size", "64"]) == 0
    assert "resnet50 weights are not cached and could not be downloaded: dreaming with the bundled " \
           "mobilenet_v2" in capsys.readouterr().err


def test_a_named_bundled_model_says_nothing_about_a_fallback(tmp_path, empty_cache, capsys):
    assert main(["dream", "chelsea", str(tmp_path / "x.png"), *QUICK, "--model", "mobilenet_v2"]) == 0
    assert "bundled" not in capsys.readouterr().err


@pytest.mark.parametrize("args,match", [
    (["dream", "no-such.jpg", "out.png"], "no image file"),
    (["dream", "chelsea", "out.png", "--layers", "mixed3:1"], "no layer called 'mixed3'"),
    (["dream", "chelsea", "out.png", "--layers", "x:big"], "name:weight"),
    (["dream", "chelsea", "out.gif2"], "end the name with"),
    (["dream", "chelsea", "out.png", "--octaves", "12", "--max-size", "300"], "minimum of 32 px: use at most 6 octaves"),
    (["dream", "chelsea", "out.png", "--step-size", "0"], "step_size"),
    (["dream", "chelsea", "out.png", "--steps", "-4"], "steps must be a whole number from 0 to 100000"),
    (["dream", "chelsea", "out.png", "--max-size", "0"], "max_size must be a whole number from 1"),
    (["dream", "chelsea", "out.png", "--layers", ""], "no layers given"),
    (["dream", "chelsea", "out.png", "--octaves", "1.5"], "'1.5' is not a whole number"),
    (["dream", "chelsea", "out.png", "--settings", "missing.json"], "cannot read saved settings"),
    (["dream", "chelsea", "out.png", "--model", "alexnet"], "invalid choice"),
    (["dream", "chelsea", "out.png", "--step-size", "nan"], "finite"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, args, match):
    monkeypatch.chdir(tmp_path)
    argv = args[:3] + QUICK + ["--model", "mobilenet_v2", "--random-weights"] + args[3:]
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own errors
        code = e.code
    assert code == 2
    assert match in one_line_error(capsys)
    assert not list(tmp_path.glob("out*"))  # no half-written output


def test_existing_output_and_the_input_itself_are_protected(tmp_path, capsys):
    source = save_image(np.full((40, 40, 3), 100.0), tmp_path / "photo.png")
    before = source.read_bytes()
    assert main(["dream", str(source), str(source), *QUICK, *RANDOM, "--overwrite"]) == 2
    assert "input picture" in one_line_error(capsys)
    other = save_image(np.zeros((8, 8, 3)), tmp_path / "other.png")
    assert main(["dream", str(source), str(other), *QUICK, *RANDOM]) == 2
    assert "already exists" in one_line_error(capsys)
    assert source.read_bytes() == before


def test_layers_lists_mixed_layers_with_shapes(capsys):
    assert main(["layers", "inception_v3"]) == 0
    out = capsys.readouterr().out
    assert "mixed0" in out and "mixed10" in out and "x256" in out and "mixed9_0" not in out


def test_weights_lists_and_imports(tmp_path, empty_cache, capsys):
    assert main(["weights"]) == 0
    assert "missing" in capsys.readouterr().out
    folder = tmp_path / "usb"
    folder.mkdir()
    keras_weights_file(folder / models.get_spec("mobilenet_v2").top.name, include_top=True)
    assert main(["weights", "import", str(folder)]) == 0
    assert "1 file(s) imported" in capsys.readouterr().out
    assert main(["weights", "import", str(tmp_path / "empty-nowhere")]) == 2
    assert "not a folder" in one_line_error(capsys)


def test_python_dash_m_runs_the_same_command():
    done = subprocess.run([sys.executable, "-m", "dreamlib", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "dream" in done.stdout and "weights" in done.stdout


QUIET_RUN = """
import sys, urllib.error, urllib.request

def offline(*args, **kwargs):  # Keras prints "Downloading data from ..." and then fails, as offline
    raise urllib.error.URLError("no network in this test")

urllib.request.urlretrieve = offline
from dreamlib.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_command_line_is_quiet_unless_verbose(tmp_path):
    from dreamlib.quiet import is_log_line

    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "DREAMLIB_OFFLINE")}
    env["KERAS_HOME"] = str(tmp_path / "keras")  # nothing cached: the offline fallback's path

    def run(name, *extra):
        return subprocess.run([sys.executable, "-c", QUIET_RUN, "dream", "chelsea", str(tmp_path / name),
                               *QUICK, *extra], env=env, capture_output=True, text=True, timeout=300)

    quiet = run("quiet.png")
    assert quiet.returncode == 0, quiet.stderr
    lines = quiet.stderr.splitlines() + quiet.stdout.splitlines()
    noise = [line for line in lines if is_log_line(line) or "Downloading data from" in line or "E0000" in line
             or "Traceback" in line]
    assert noise == [], noise
    assert "dreaming with the bundled mobilenet_v2" in quiet.stderr and "Dream saved" in quiet.stdout
    verbose = subprocess.run([sys.executable, "-m", "dreamlib", "layers", "mobilenet", "--verbose"], env=env,
                             capture_output=True, text=True, timeout=300)
    assert verbose.returncode == 0 and any(is_log_line(line) for line in verbose.stderr.splitlines())


def test_a_saved_dream_replays_with_settings(tmp_path, capsys):
    first, again, changed = tmp_path / "first.png", tmp_path / "again.png", tmp_path / "changed.png"
    recipe = ["--model", "mobilenet_v2", "--layers", "block_3_expand_relu:1.5", "--objective", "mean",
              "--steps", "2", "--octaves", "2", "--seed", "3", "--tile-size", "0"]
    assert main(["dream", "chelsea", str(first), "--max-size", "96", *recipe]) == 0
    assert main(["dream", "chelsea", str(again), "--max-size", "96", "--settings", str(first)]) == 0
    assert np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(again)))
    with Image.open(again) as pil:
        assert '"objective": "mean"' in pil.text["dreamlib:recipe"] and pil.text["dreamlib:weights"] == "imagenet"
    assert main(["dream", "chelsea", str(changed), "--max-size", "96", "--settings", str(first),
                 "--steps", "3"]) == 0  # an option given wins over the saved one
    with Image.open(changed) as pil:
        assert json.loads(pil.text["dreamlib:settings"])["steps"] == 3
        assert json.loads(pil.text["dreamlib:settings"])["seed"] == 3


def test_the_command_line_keeps_the_pictures_size(tmp_path, capsys):
    y, x = np.mgrid[0:700, 0:1100]
    photo = np.stack([(x / 5) % 255, (y / 3) % 255, ((x + y) / 7) % 255], -1).astype(np.float32)
    source = save_image(photo, tmp_path / "photo.png")
    out = tmp_path / "big.png"
    assert main(["dream", str(source), str(out), "--model", "mobilenet_v2", "--steps", "1", "--octaves", "1",
                 "--seed", "0"]) == 0
    captured = capsys.readouterr()
    # tiled (1100 px is wider than a CPU's largest window), with a progress bar
    assert re.search(r"\(1100x700, \d+ tiles\)", captured.err) and "100%" in captured.err
    with Image.open(out) as pil:
        assert pil.size == (1100, 700)
    assert main(["dream", str(source), str(tmp_path / "q.png"), "--quick", "--model", "mobilenet_v2",
                 "--steps", "1", "--octaves", "1"]) == 0
    with Image.open(tmp_path / "q.png") as pil:
        assert max(pil.size) == 256  # quick mode shrinks
    huge = save_image(np.zeros((10, 4100, 3)), tmp_path / "wide.png")
    assert main(["dream", str(huge), str(tmp_path / "w.png"), *RANDOM]) == 2
    assert "wide.png is 4100x10 px, more than the 4096 px" in (line := one_line_error(capsys)) \
           and "--max-size 4096" in line and "--max-size 4100" in line

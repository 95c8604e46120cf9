"""What each notebook needs (dreamlib.course), and `dreamlib weights list|fetch` that read the same table."""

import json
import re
from pathlib import Path

import pytest

from dreamlib import course, models
from dreamlib.cli import main

ROOT = Path(__file__).resolve().parent.parent
NON_BUNDLED = ["vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
               "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"]
MOBILENET_V2 = models.get_spec("mobilenet_v2").notop.name


def _networks_built_by(notebook):
    """{(model, include_top)} that a notebook's code builds, read from its source."""
    code = "\n".join("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"]
                     if c["cell_type"] == "code")
    constants = dict(re.findall(r'^(\w+) = (?:pick\(quick=)?"(\w+)"', code, flags=re.M))
    built = set()
    for name, options in re.findall(r'load_backbone\(("?\w+"?)((?:, \w+=\w+)*)\)', code):   # any keywords
        built.add((constants.get(name, name.strip('"')), "include_top=True" in options))
    built |= {(name, False) for name in re.findall(r'Dreamer\("(\w+)"', code)}
    return built


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_the_table_says_what_each_notebook_builds(notebook):
    assert set(course.NOTEBOOK_NETWORKS[notebook.stem]) == _networks_built_by(notebook)


def test_on_an_empty_cache_the_bundled_networks_are_ready_and_the_big_ones_are_not(empty_cache, monkeypatch):
    monkeypatch.delenv("DREAMLIB_ALLOW_RANDOM_WEIGHTS", raising=False)
    found = {r.notebook: r for r in course.readiness()}
    assert found["00_start_here"].verdict == "needs no pretrained weights"
    assert found["06_dcgan"].verdict.startswith("needs no pretrained weights; data: ")
    first = found["01_activation_maximisation"]
    assert not first.ready
    assert dict((need.label, state) for need, state in first.states) == {
        "mobilenet (with classifier)": "bundled", "mobilenet_v2 (features)": "bundled",
        "vgg19 (features)": "missing", "ImageNet class names": "bundled"}
    assert first.verdict == ("runs up to its first vgg19 cell, which stops with a one-line message; "
                             "import vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")
    assert found["03_inception_octaves"].verdict.startswith(
        "runs to the end: without inception_v3's weights it dreams on the bundled mobilenet_v2 and shows one "
        "labelled UNTRAINED inception_v3 picture; for real weights import inception_v3_")
    assert found["02_vgg19_two_layer_dream"].verdict.startswith("runs to the end: without vgg19's weights")
    assert found["04_tiling_big_images"].verdict.startswith("runs up to its first inception_v3 cell, which stops")
    allowed = {r.notebook: r.verdict for r in course.readiness(allow_random=True)}
    assert allowed["05_guided_dreams"].startswith("runs, with an UNTRAINED stand-in (random weights, "
                                                  "labelled on every picture) for resnet50")


def test_with_every_file_cached_every_notebook_is_ready(empty_cache):
    empty_cache.mkdir(parents=True)
    for name in course.course_files():
        (empty_cache / name).write_bytes(b"x")
    verdicts = [r.verdict for r in course.readiness(allow_random=False)]
    assert all(v.startswith(("ready", "needs no pretrained weights")) for v in verdicts), verdicts


@pytest.fixture
def no_full_data(tmp_path, monkeypatch):
    """No Fashion-MNIST but the subset bundled with dreamlib: no Debian folder, an empty Keras cache."""
    from dreamlib import data

    monkeypatch.delenv("DREAMLIB_FASHION_MNIST_DIR", raising=False)
    monkeypatch.delenv(data.BUNDLED_ONLY_ENV, raising=False)
    monkeypatch.setattr(data, "DEBIAN_DIRS", {"fashion_mnist": tmp_path / "no-debian"})


def test_readiness_and_weights_list_say_which_data_notebook_06_reads(empty_cache, no_full_data, tmp_path,
                                                                     monkeypatch, capsys):
    from dreamlib import data

    dcgan = {r.notebook: r for r in course.readiness()}["06_dcgan"]
    assert [(d.kind, d.state) for d in dcgan.data] == [("fashion_mnist", "bundled")]
    assert dcgan.verdict == ("needs no pretrained weights; data: only the 6,000-picture fashion_mnist subset "
                             "bundled with dreamlib: quick settings run, full ones need the full set "
                             "(sudo apt-get install dataset-fashion-mnist, or internet)")
    assert main(["weights"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"bundled\s+fashion_mnist\s+\S+datasets/fashion-mnist\s+notebooks 06", out)
    assert "06_dcgan" in out and "only the 6,000-picture fashion_mnist subset" in out

    full = tmp_path / "no-debian"
    full.mkdir()
    for name in data.IDX_FILES["train"] + data.IDX_FILES["test"]:
        (full / name).write_bytes(b"")  # located by name: readiness reads no pictures
    assert course.data_state("fashion_mnist").state == "full"
    assert {r.notebook: r for r in course.readiness()}["06_dcgan"].verdict == \
        f"needs no pretrained weights; data: the full fashion_mnist ({full})"
    monkeypatch.setenv(data.BUNDLED_ONLY_ENV, "1")
    assert course.data_state("fashion_mnist").state == "bundled"
    monkeypatch.setenv("DREAMLIB_FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    monkeypatch.delenv(data.BUNDLED_ONLY_ENV)
    state = course.data_state("fashion_mnist")
    assert state.state == "missing" and "DREAMLIB_FASHION_MNIST_DIR=" in state.note


def test_weights_list_offline_names_the_course_files_and_what_happens(empty_cache, capsys):
    assert main(["weights"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"bundled\s+mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5\s+"
                     r"notebooks 01, 02, 03, 04, 05", out)
    assert re.search(r"missing\s+resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5\s+notebooks 05", out)
    assert "02_vgg19_two_layer_dream" in out and "without vgg19's weights it dreams on the bundled" in out
    assert main(["weights", "list", "--missing"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == NON_BUNDLED
    assert all(line.split()[1].startswith("https://storage.googleapis.com/") for line in lines)
    assert main(["weights", "list", "--all"]) == 0
    assert "vgg19_weights_tf_dim_ordering_tf_kernels.h5" in capsys.readouterr().out  # not a course file


def test_weights_fetch_downloads_what_is_missing_and_fills_a_usb_stick(empty_cache, tmp_path, monkeypatch, capsys):
    import keras

    downloads = []

    def fake_get_file(fname, origin, cache_subdir, cache_dir, file_hash):
        downloads.append((fname, origin))
        path = Path(cache_dir) / cache_subdir / fname
        path.write_bytes(b"downloaded " + fname.encode())
        return str(path)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    stick = tmp_path / "usb"
    assert main(["weights", "fetch", "--to", str(stick)]) == 0
    out = capsys.readouterr().out
    files = course.course_files()
    assert [name for name, _ in downloads] == NON_BUNDLED  # the bundled ones need no download
    assert all(origin == files[name][0].origin for name, origin in downloads)
    assert sorted(p.name for p in stick.iterdir()) == sorted(files)
    assert (stick / MOBILENET_V2).read_bytes() == models.bundled_file(MOBILENET_V2).read_bytes()
    assert f"all {len(files)} files the course needs are in" in out
    assert "copied from dreamlib's bundle; copied to" in out

    (stick / NON_BUNDLED[0]).write_bytes(b"the teacher's own copy")
    assert main(["weights", "fetch", "--to", str(stick)]) == 0
    assert len(downloads) == len(NON_BUNDLED)  # everything cached now: nothing downloaded again
    assert (stick / NON_BUNDLED[0]).read_bytes() == b"the teacher's own copy"
    assert "left as it was" in capsys.readouterr().out


def test_weights_fetch_offline_lists_failures_and_ends_in_one_line(empty_cache, capsys):
    assert main(["weights", "fetch"]) == 2
    captured = capsys.readouterr()
    assert captured.out.count("failed ") == len(NON_BUNDLED)
    assert captured.err.strip() == ("dreamlib: error: 4 of 7 file(s) could not be fetched: connect to the "
                                    "internet and run `dreamlib weights fetch` again")


"""Data for the DCGAN bonus: idx parsing, where Fashion-MNIST comes from, and folders of pictures."""

import gzip
import hashlib
import importlib.util
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dreamlib import data
from dreamlib.errors import DreamlibError
from dreamlib.images import load_image, sample_path


def write_idx(path, array, gz=True):
    """An idx file as MNIST ships it: magic 0,0,0x08,ndim, big-endian sizes, then the bytes."""
    array = np.asarray(array, np.uint8)
    raw = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(raw)
    return path


def make_idx_folder(folder, n=6, seed=0, splits=("train", "test")):
    """A tiny Fashion-MNIST-shaped folder; returns {split: (images, labels)} as written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = {}
    for split in splits:
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        images_name, labels_name = data.IDX_FILES[split]
        write_idx(folder / images_name, images)
        write_idx(folder / labels_name, labels)
        written[split] = (images, labels)
    return written


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No env var, full settings, an empty Keras cache, no Debian folder, and a Keras download that fails."""
    import keras

    for env in (*data.ENV_VARS.values(), data.BUNDLED_ONLY_ENV, "DREAMLIB_QUICK", "DREAMLIB_OFFLINE"):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setattr(data, "_said", set())
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "DEBIAN_DIRS", {"fashion_mnist": tmp_path / "no-debian"})
    calls = []

    def offline():
        calls.append("download")
        raise Exception("URL fetch failure: no network in this test")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    return calls


# ----------------------------------------------------------------------------- idx files

def test_read_idx_round_trip_gzipped_and_plain(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    for gz, name in ((True, "a.gz"), (False, "a")):
        got = data.read_idx(write_idx(tmp_path / name, images, gz=gz))
        assert got.dtype == np.uint8 and got.shape == (2, 3, 4)
        np.testing.assert_array_equal(got, images)
        got[0, 0, 0] = 7  # a learner may edit the pictures in place
    labels = data.read_idx(write_idx(tmp_path / "l.gz", [3, 1, 4, 1, 5]))
    assert labels.shape == (5,) and labels.tolist() == [3, 1, 4, 1, 5]


def test_read_idx_wrong_magic_number(tmp_path):
    path = tmp_path / "bad.gz"
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 0x0D, 1]) + struct.pack(">I", 2) + b"\0" * 8)  # 0x0D = float, not bytes
    with pytest.raises(DreamlibError, match=r"bad\.gz.*magic number"):
        data.read_idx(path)


def test_read_idx_data_shorter_than_header_promises(tmp_path):
    path = tmp_path / "short.gz"
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 10, 28, 28) + b"\0" * 100)
    with pytest.raises(DreamlibError, match=r"short\.gz holds 100 bytes.*promises 7840"):
        data.read_idx(path)
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 3) + b"\0" * 4)
    with pytest.raises(DreamlibError, match="holds 4 bytes of data but its header promises 3"):
        data.read_idx(path)


def test_read_idx_truncated_gzip_names_the_file(tmp_path):
    good = write_idx(tmp_path / "good.gz", np.ones((50, 28, 28)))
    cut = tmp_path / "train-images-idx3-ubyte.gz"
    cut.write_bytes(good.read_bytes()[:60])
    with pytest.raises(DreamlibError, match=r"train-images-idx3-ubyte\.gz is damaged or truncated"):
        data.read_idx(cut)


# ----------------------------------------------------------------------------- where it comes from

def test_env_folder_wins_over_everything(tmp_path, monkeypatch, nowhere):
    written = make_idx_folder(tmp_path / "mine", seed=1)
    make_idx_folder(tmp_path / "keras" / "datasets" / "fashion-mnist", seed=2)
    monkeypatch.setenv("DREAMLIB_FASHION_MNIST_DIR", str(tmp_path / "mine"))
    for split in ("train", "test"):
        images, labels = data.load_fashion_mnist(split=split)
        np.testing.assert_array_equal(images, written[split][0])
        np.testing.assert_array_equal(labels, written[split][1])
    assert data.locate_dataset() == tmp_path / "mine"
    assert nowhere == []


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, r"DREAMLIB_FASHION_MNIST_DIR=.*is not there"),
    (lambda p: p.write_text("x"), r"DREAMLIB_FASHION_MNIST_DIR=.*is a file, not a folder"),
    (lambda p: p.mkdir(), r"has no train-images-idx3-ubyte\.gz or train-labels-idx1-ubyte\.gz"),
])
def test_bad_env_folder_says_what_is_wrong(tmp_path, monkeypatch, nowhere, setup, message):
    target = tmp_path / "named"
    setup(target)
    monkeypatch.setenv("DREAMLIB_FASHION_MNIST_DIR", str(target))
    with pytest.raises(DreamlibError, match=message):
        data.load_fashion_mnist()
    assert nowhere == []  # a typo in the variable is reported, not papered over by a download


def test_env_folder_with_mismatched_files(tmp_path, monkeypatch, nowhere):
    folder = tmp_path / "mixed"
    make_idx_folder(folder, n=6)
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(5))
    monkeypatch.setenv("DREAMLIB_FASHION_MNIST_DIR", str(folder))
    with pytest.raises(DreamlibError, match="holds 6 pictures but .* 5 labels"):
        data.load_fashion_mnist()


def test_keras_cache_is_read_without_download(tmp_path, nowhere):
    written = make_idx_folder(tmp_path / "keras" / "datasets" / "fashion-mnist", seed=3)
    make_idx_folder(tmp_path / "no-debian", seed=4)
    images, _ = data.load_fashion_mnist()
    np.testing.assert_array_equal(images, written["train"][0])
    assert nowhere == []


def test_keras_cache_mnist_npz(tmp_path, nowhere):
    x = np.full((4, 28, 28), 9, np.uint8)
    (tmp_path / "keras" / "datasets").mkdir(parents=True)
    np.savez(tmp_path / "keras" / "datasets" / "mnist.npz", x_train=x, y_train=np.arange(4),
             x_test=x[:2], y_test=np.arange(2))
    images, labels = data.load_fashion_mnist("mnist", "test")
    assert images.shape == (2, 28, 28) and labels.tolist() == [0, 1]
    (tmp_path / "keras" / "datasets" / "mnist.npz").write_bytes(b"PK\3\4 broken")
    with pytest.raises(DreamlibError, match=r"mnist\.npz is damaged"):
        data.load_fashion_mnist("mnist")


def test_debian_folder_used_when_nothing_else(tmp_path, nowhere):
    written = make_idx_folder(tmp_path / "no-debian", seed=5, splits=("test",))
    images, labels = data.load_fashion_mnist(split="test")
    np.testing.assert_array_equal(labels, written["test"][1])
    assert data.locate_dataset(split="test") == tmp_path / "no-debian"
    # the train files are missing there, so train falls through to the (failing) download
    with pytest.raises(DreamlibError):
        data.load_fashion_mnist(split="train")
    assert nowhere == ["download"]


def test_keras_download_used_when_online(monkeypatch, nowhere):
    import keras

    train = (np.full((3, 28, 28), 1, np.uint8), np.array([1, 2, 3], np.uint8))
    test = (np.full((2, 28, 28), 2, np.uint8), np.array([4, 5], np.uint8))
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", lambda: (train, test))
    images, labels = data.load_fashion_mnist(split="test")
    assert images.shape == (2, 28, 28) and labels.tolist() == [4, 5]
    assert data.load_fashion_mnist()[1].tolist() == [1, 2, 3]


def test_nothing_available_says_exactly_what_to_do(nowhere):
    with pytest.raises(DreamlibError) as info:
        data.load_fashion_mnist()
    message = str(info.value)
    assert "\n" not in message
    for needed in ("apt-get install dataset-fashion-mnist", "DREAMLIB_FASHION_MNIST_DIR",
                   "t10k-images-idx3-ubyte.gz", "connect to the internet once", "URL fetch failure"):
        assert needed in message
    with pytest.raises(DreamlibError, match="DREAMLIB_MNIST_DIR") as info:
        data.load_fashion_mnist("mnist")
    assert "apt-get" not in str(info.value)  # Debian packages no MNIST digits: do not send people there
    assert nowhere == ["download", "download"]


def test_corrupt_file_in_a_source_is_named(tmp_path, nowhere):
    folder = tmp_path / "keras" / "datasets" / "fashion-mnist"
    make_idx_folder(folder)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DreamlibError, match=str(path)):
        data.load_fashion_mnist()


def test_unknown_kind_and_split():
    with pytest.raises(DreamlibError, match="fashion_mnist, mnist"):
        data.load_fashion_mnist("cifar10")
    with pytest.raises(DreamlibError, match="'train'"):
        data.load_fashion_mnist(split="validation")


def test_real_debian_fashion_mnist(tmp_path, monkeypatch):
    """The one test that reads the full set (CI hides it from every other test with DREAMLIB_BUNDLED_DATA_ONLY)."""
    folder = data.DEBIAN_DIRS["fashion_mnist"]
    if not (folder / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"{folder} is absent: `sudo apt-get install {data.DEBIAN_PACKAGE}` to run this test")
    for env in ("DREAMLIB_FASHION_MNIST_DIR", data.BUNDLED_ONLY_ENV, "DREAMLIB_QUICK"):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert data.locate_dataset() == folder == data.locate_dataset(subset=True)
    images, labels = data.load_fashion_mnist()
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [6000] * 10  # Fashion-MNIST is balanced
    assert len(data.FASHION_MNIST_CLASSES) == 10
    # the bundled subset is exactly what tools/make_fashion_subset.py makes from it
    spec = importlib.util.spec_from_file_location("make_fashion_subset", TOOLS / "make_fashion_subset.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    made = tool.make_subset(folder, tmp_path / "subset")
    assert made == bundled_hashes()
    for name in made:
        assert (tmp_path / "subset" / name).read_bytes() == (BUNDLED / name).read_bytes()
    bundled_images, _ = data._read_idx_split(BUNDLED, "train")
    assert {bytes(p) for p in bundled_images[:50]} <= {bytes(p) for p in images}  # unchanged pictures


# ----------------------------------------------------------------------------- the bundled subset

BUNDLED = data.BUNDLED_DIRS["fashion_mnist"]
TOOLS = Path(__file__).resolve().parents[1] / "tools"


def bundled_hashes():
    """{file name: sha256} from the hash table in the subset's CREDITS.md."""
    rows = re.findall(r"^\| `([^`]+\.gz)` \| [\d,]+ \| `([0-9a-f]{64})` \|$", (BUNDLED / "CREDITS.md").read_text(), re.M)
    return dict(rows)


def test_bundled_subset_is_balanced_licensed_and_unchanged():
    hashes = bundled_hashes()
    assert sorted(hashes) == sorted(data.IDX_FILES["train"] + data.IDX_FILES["test"])
    for name, digest in hashes.items():
        assert hashlib.sha256((BUNDLED / name).read_bytes()).hexdigest() == digest, f"{name} changed"
    for split, per_class in (("train", 600), ("test", 100)):
        images, labels = data._read_idx_split(BUNDLED, split)
        assert images.shape == (10 * per_class, 28, 28) and images.dtype == np.uint8
        assert np.bincount(labels).tolist() == [per_class] * 10
    licence = (BUNDLED / "LICENSE-MIT.txt").read_text()
    assert "MIT License" in licence and "Zalando SE" in licence
    assert "arXiv:1708.07747" in (BUNDLED / "CREDITS.md").read_text()
    assert sum(p.stat().st_size for p in BUNDLED.iterdir()) < 3.2e6  # it rides in every wheel


def test_bundled_subset_stands_in_when_asked_without_download(nowhere, capsys):
    images, labels = data.load_fashion_mnist(subset=True)
    assert images.shape == (6000, 28, 28) and np.bincount(labels).tolist() == [600] * 10
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and "6,000-picture subset bundled with dreamlib" in said[0]
    assert "full 60,000 are not on this machine" in said[0] and "apt-get install dataset-fashion-mnist" in said[0]
    assert data.load_fashion_mnist(split="test", subset=True)[0].shape == (1000, 28, 28)
    data.load_fashion_mnist(subset=True)
    assert capsys.readouterr().out.count("\n") == 1  # once per split and process: the test split's line
    assert data.locate_dataset(subset=True) == BUNDLED
    assert nowhere == []  # a run that can do with the subset does not wait for a download


def test_quick_settings_take_the_subset_full_ones_ask_for_the_full_set(nowhere, monkeypatch):
    monkeypatch.setenv("DREAMLIB_QUICK", "1")
    assert len(data.load_fashion_mnist(say=None)[0]) == 6000
    assert data.locate_dataset() == BUNDLED
    assert nowhere == []
    monkeypatch.setenv("DREAMLIB_QUICK", "0")
    assert data.locate_dataset() is None  # full settings: it would download
    with pytest.raises(DreamlibError, match="download failed.*or make do with the small subset bundled"):
        data.load_fashion_mnist()
    assert nowhere == ["download"]


def test_full_set_on_disk_wins_over_the_subset(tmp_path, nowhere, capsys):
    written = make_idx_folder(tmp_path / "keras" / "datasets" / "fashion-mnist", seed=6)
    images, _ = data.load_fashion_mnist(subset=True)
    np.testing.assert_array_equal(images, written["train"][0])
    assert capsys.readouterr().out == "" and nowhere == []


def test_subset_after_a_failed_download_says_why(nowhere, capsys):
    images, _ = data.load_fashion_mnist(subset=True, download=True)
    assert len(images) == 6000 and nowhere == ["download"]
    assert "the download failed: URL fetch failure" in capsys.readouterr().out


def test_offline_never_tries_a_download(nowhere, monkeypatch, capsys):
    monkeypatch.setenv("DREAMLIB_OFFLINE", "1")
    with pytest.raises(DreamlibError, match="DREAMLIB_OFFLINE=1 forbids the download"):
        data.load_fashion_mnist()
    with pytest.raises(DreamlibError, match="DREAMLIB_OFFLINE=1 forbids the download"):
        data.load_fashion_mnist("mnist", subset=True)  # no MNIST subset: the same error
    assert len(data.load_fashion_mnist(subset=True, download=True)[0]) == 6000
    assert nowhere == []


def test_bundled_only_hides_every_full_copy(tmp_path, nowhere, monkeypatch):
    make_idx_folder(tmp_path / "keras" / "datasets" / "fashion-mnist", seed=7)
    make_idx_folder(tmp_path / "no-debian", seed=8)
    make_idx_folder(tmp_path / "mine", seed=9)
    monkeypatch.setenv("DREAMLIB_FASHION_MNIST_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv(data.BUNDLED_ONLY_ENV, "1")
    assert data.locate_full_set() is None and data.locate_dataset(subset=True) == BUNDLED
    assert len(data.load_fashion_mnist(subset=True, download=True, say=None)[0]) == 6000
    with pytest.raises(DreamlibError, match="DREAMLIB_BUNDLED_DATA_ONLY=1 hides every full copy"):
        data.load_fashion_mnist(split="test")
    assert nowhere == []


# ----------------------------------------------------------------------------- arrays to batches

def test_to_gan_range_and_back():
    images = np.array([[[0, 255], [128, 64]]], np.uint8)
    scaled = data.to_gan_range(images)
    assert scaled.shape == (1, 2, 2, 1) and scaled.dtype == np.float32
    assert scaled.min() == -1.0 and scaled.max() == 1.0
    back = data.from_gan_range(scaled)
    assert back.shape == (1, 2, 2, 3)  # gray repeated: ready for image_grid and save_image
    np.testing.assert_allclose(back[..., 0], images, atol=1e-3)
    np.testing.assert_array_equal(data.from_gan_range(np.array([[[[-3.0, 0.0, 2.0]]]])), [[[[0, 127.5, 255]]]])
    assert data.to_gan_range(np.zeros((2, 4, 4, 3), np.uint8)).shape == (2, 4, 4, 3)
    with pytest.raises(DreamlibError, match="already scaled"):
        data.to_gan_range(scaled)
    with pytest.raises(DreamlibError, match=r"\(N, H, W\)"):
        data.to_gan_range(np.zeros((28, 28)))


def test_array_dataset_batches_shuffles_and_is_deterministic():
    images = np.repeat(np.arange(20, dtype=np.uint8)[:, None, None], 28 * 28, 1).reshape(20, 28, 28)

    def epochs(seed):
        ds = data.array_dataset(images, batch_size=4, seed=seed, limit=12)
        return [np.concatenate([b[:, 0, 0, 0] for b in ds.as_numpy_iterator()]) for _ in range(2)]

    first, again, other = epochs(0), epochs(0), epochs(1)
    batch = next(iter(data.array_dataset(images, batch_size=4)))
    assert batch.shape == (4, 28, 28, 1) and batch.dtype.name == "float32"
    assert -1.0 <= float(batch.numpy().min()) and float(batch.numpy().max()) <= 1.0
    values = np.rint((first[0] + 1) * 127.5)
    assert sorted(values.tolist()) == list(range(12))  # limit keeps the first 12, each once per epoch
    assert values.tolist() != list(range(12))  # shuffled
    assert not np.array_equal(first[0], first[1])  # reshuffled each epoch
    np.testing.assert_array_equal(np.array(first), np.array(again))  # same seed, same orders
    assert not np.array_equal(np.array(first), np.array(other))


def test_array_dataset_rejects_nonsense():
    with pytest.raises(DreamlibError, match="fewer than one batch"):
        data.array_dataset(np.zeros((3, 28, 28), np.uint8), batch_size=4)
    with pytest.raises(DreamlibError, match="uint8"):
        data.array_dataset(np.zeros((8, 28, 28), np.float32), batch_size=4)
    with pytest.raises(DreamlibError, match="batch_size"):
        data.array_dataset(np.zeros((8, 28, 28), np.uint8), batch_size=0)


# ----------------------------------------------------------------------------- folders of pictures

def test_center_crop_resize_keeps_the_middle():
    wide = np.zeros((30, 90, 3), np.float32)
    wide[:, :30] = (255, 0, 0)
    wide[:, 30:60] = (0, 255, 0)
    wide[:, 60:] = (0, 0, 255)
    square = data.center_crop_resize(wide, (10, 10))
    assert square.shape == (10, 10, 3)
    np.testing.assert_allclose(square, np.broadcast_to([0, 255, 0], (10, 10, 3)), atol=1e-3)
    tall = np.transpose(wide, (1, 0, 2))  # 90 high, 30 wide: green band in the middle rows
    np.testing.assert_allclose(data.center_crop_resize(tall, (6, 6)), np.broadcast_to([0, 255, 0], (6, 6, 3)),
                               atol=1e-3)
    # 2:1 target from a square picture: keeps the middle half of the rows
    rows = np.repeat(np.linspace(0, 255, 40, dtype=np.float32)[:, None, None], 40, 1).repeat(3, 2)
    out = data.center_crop_resize(rows, (10, 20))
    assert out.shape == (10, 20, 3) and 60 < out[0, 0, 0] < 75 and 180 < out[-1, 0, 0] < 195
    with pytest.raises(DreamlibError):
        data.center_crop_resize(rows, (0, 10))


def make_picture_folder(folder):
    """Pictures of every awkward kind, two broken files, and files that are not pictures at all."""
    (folder / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    rgb = lambda h, w: Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    rgb(40, 60).save(folder / "wide.jpg")
    rgb(90, 30).save(folder / "sub" / "tall.png")
    rgb(32, 32).convert("RGBA").save(folder / "rgba.png")
    rgb(20, 50).convert("L").save(folder / "gray.png")
    rgb(33, 33).convert("P").save(folder / "sub" / "palette.gif")
    Image.fromarray(rng.integers(0, 65535, (25, 25), dtype=np.uint16)).save(folder / "deep16.png")
    rgb(30, 40).convert("CMYK").save(folder / "cmyk.jpg")
    rgb(16, 16).save(folder / "upper.JPEG")
    (folder / "broken.jpg").write_bytes(b"this is not a picture")
    (folder / "empty.png").write_bytes(b"")
    rgb(40, 40).save(folder / "cut.png")
    (folder / "cut.png").write_bytes((folder / "cut.png").read_bytes()[:2000])  # verify() catches this
    (folder / "notes.txt").write_text("not a picture, ignored")
    (folder / "._wide.jpg").write_bytes(b"macOS resource fork")
    (folder / ".ipynb_checkpoints").mkdir()
    rgb(8, 8).save(folder / ".ipynb_checkpoints" / "copy.png")
    return 8


def test_scan_finds_pictures_and_skips_bad_files_with_reasons(tmp_path):
    good = make_picture_folder(tmp_path / "pics")
    usable, skipped = data.scan_image_folder(tmp_path / "pics")
    assert len(usable) == good
    assert {p.name for p, _ in skipped} == {"broken.jpg", "empty.png", "cut.png"}
    assert all("not a readable picture" in reason for _, reason in skipped)
    assert not any(p.name.startswith(".") or ".ipynb_checkpoints" in str(p) for p in usable)


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "no folder at"),
    (lambda p: p.write_text("x"), "is a file, not a folder"),
    (lambda p: (p.mkdir(), (p / "a.txt").write_text("x")), r"no pictures in .*\.jpg, \.jpeg, \.png"),
    (lambda p: (p.mkdir(), (p / "a.jpg").write_text("x")), "none of the 1 pictures .* a.jpg"),
])
def test_bad_picture_folders_give_clear_errors(tmp_path, setup, message):
    target = tmp_path / "pictures"
    setup(target)
    with pytest.raises(DreamlibError, match=message):
        data.scan_image_folder(target)


def test_folder_smaller_than_a_batch(tmp_path):
    make_picture_folder(tmp_path / "pics")
    with pytest.raises(DreamlibError, match=r"only 8 usable pictures .*\(3 skipped\).*batch of 32"):
        data.image_folder_dataset(tmp_path / "pics", batch_size=32)
    with pytest.raises(DreamlibError, match="channels"):
        data.image_folder_dataset(tmp_path / "pics", channels=4, batch_size=2)


def test_image_folder_dataset_mixed_modes_and_sizes(tmp_path):
    make_picture_folder(tmp_path / "pics")
    ds, count, skipped = data.image_folder_dataset(tmp_path / "pics", image_size=(24, 32), batch_size=3)
    assert count == 8 and len(skipped) == 3
    batches = [b.numpy() for b in ds]
    assert len(batches) == 2  # 8 pictures, batches of 3, remainder dropped
    for b in batches:
        assert b.shape == (3, 24, 32, 3) and b.dtype == np.float32
        assert b.min() >= -1.0 and b.max() <= 1.0
    gray, _, _ = data.image_folder_dataset(tmp_path / "pics", image_size=(16, 16), channels=1, batch_size=8)
    assert next(iter(gray)).shape == (8, 16, 16, 1)


def test_load_training_picture_scales_to_gan_range(tmp_path):
    Image.new("RGB", (50, 20), (255, 0, 0)).save(tmp_path / "red.png")
    img = data.load_training_picture(tmp_path / "red.png", (8, 8))
    assert img.shape == (8, 8, 3)
    np.testing.assert_allclose(img[..., 0], 1.0, atol=1e-4)
    np.testing.assert_allclose(img[..., 1:], -1.0, atol=1e-4)
    gray = data.load_training_picture(tmp_path / "red.png", (8, 8), channels=1)
    np.testing.assert_allclose(gray, 0.299 * 2 - 1, atol=1e-3)


def colour_folder(folder, n):
    """``n`` one-colour pictures whose red value says which file they are."""
    folder.mkdir()
    for i in range(n):
        Image.new("RGB", (12, 10), (i * 10, 0, 0)).save(folder / f"{i:02d}.png")


def reds(ds):
    return [int(round((v + 1) * 127.5 / 10)) for b in ds.as_numpy_iterator() for v in b[:, 0, 0, 0]]


def test_image_folder_dataset_is_deterministic_and_reshuffles(tmp_path):
    colour_folder(tmp_path / "c", 12)
    ds, _, _ = data.image_folder_dataset(tmp_path / "c", image_size=(8, 8), batch_size=4, seed=3)
    same, _, _ = data.image_folder_dataset(tmp_path / "c", image_size=(8, 8), batch_size=4, seed=3)
    other, _, _ = data.image_folder_dataset(tmp_path / "c", image_size=(8, 8), batch_size=4, seed=4)
    first, second = reds(ds), reds(ds)
    assert sorted(first) == list(range(12)) and first != list(range(12))
    assert first != second
    assert [first, second] == [reds(same), reds(same)]
    assert first != reds(other)


def test_image_folder_dataset_streams(tmp_path, monkeypatch):
    colour_folder(tmp_path / "c", 60)
    opened = []
    real = data.load_training_picture

    def counting(path, *args):
        opened.append(path)
        return real(path, *args)

    monkeypatch.setattr(data, "load_training_picture", counting)
    ds, count, _ = data.image_folder_dataset(tmp_path / "c", image_size=(8, 8), batch_size=2)
    assert count == 60 and opened == []  # building the pipeline opens nothing
    next(iter(ds))
    assert 2 <= len(opened) < 60  # one batch opens a few pictures, not the whole folder


def test_picture_broken_after_scan_is_skipped_not_fatal(tmp_path):
    colour_folder(tmp_path / "c", 6)
    ds, count, skipped = data.image_folder_dataset(tmp_path / "c", image_size=(8, 8), batch_size=1)
    assert count == 6 and skipped == []
    (tmp_path / "c" / "03.png").write_bytes(b"overwritten by a half-finished copy")
    (tmp_path / "c" / "04.png").unlink()
    seen = reds(ds)
    assert sorted(seen) == [0, 1, 2, 5]
    assert sorted(p.name for p, _ in skipped) == ["03.png", "04.png"]
    assert all("unreadable while training" in reason for _, reason in skipped)
    reds(ds)  # a second epoch does not count them twice
    assert len(skipped) == 2


def test_truncated_jpeg_passes_the_cheap_scan_but_is_skipped_when_loaded(tmp_path):
    colour_folder(tmp_path / "c", 4)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "c" / "cut.jpg")
    raw = (tmp_path / "c" / "cut.jpg").read_bytes()
    (tmp_path / "c" / "cut.jpg").write_bytes(raw[:len(raw) // 2])
    ds, count, skipped = data.image_folder_dataset(tmp_path / "c", image_size=(8, 8), batch_size=1)
    assert count == 5 and skipped == []  # JPEG verify() does not decode, so the scan cannot tell
    assert sorted(reds(ds)) == [0, 1, 2, 3]
    assert [p.name for p, _ in skipped] == ["cut.jpg"]


def test_big_jpegs_decode_at_a_reduced_scale_that_still_covers_the_crop(tmp_path):
    photo = np.asarray(Image.open(sample_path("astronaut")).convert("RGB").resize((2000, 1500), Image.BICUBIC))
    Image.fromarray(photo).save(tmp_path / "big.jpg", quality=90)
    Image.fromarray(photo).save(tmp_path / "big.png")
    reduced = load_image(tmp_path / "big.jpg", min_side=64)
    assert reduced.shape == (188, 250, 3)                     # 1/8 scale: both sides still >= 64
    assert load_image(tmp_path / "big.png", min_side=64).shape == (1500, 2000, 3)  # other formats: unchanged
    fast = data.load_training_picture(tmp_path / "big.jpg", (64, 64))
    full = data.center_crop_resize(load_image(tmp_path / "big.jpg"), (64, 64)) / 127.5 - 1
    assert fast.shape == (64, 64, 3) and np.abs(fast - full).mean() * 127.5 < 4   # the same picture, ~1%

"""The infinite zoom: zoom_in geometry, the frame chain, animation files, and `dreamlib zoom`."""

import importlib.util
import os
import sys

import numpy as np
import pytest
from PIL import Image

from dreamlib.cli import main
from dreamlib.dream import DreamRecord, Dreamer, DreamResult, DreamSettings
from dreamlib.errors import DreamlibError
from dreamlib import images
from dreamlib.images import check_animation_path, resize_image, save_animation, save_image
from dreamlib.zoom import frame_settings, zoom_frames, zoom_in
from tests.conftest import has_untrained_strip

FRAMES, ZOOM = 4, 1.1
RANDOM = ["--random-weights", "--model", "mobilenet_v2", "--layers", "block_1_expand_relu:1", "--quick",
          "--max-size", "64"]
HAS_FFMPEG = importlib.util.find_spec("imageio") is not None and importlib.util.find_spec("imageio_ffmpeg") is not None


def correlation(a, b):
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


def centroid(img):
    """Centre of brightness in continuous coordinates (pixel i spans [i, i + 1])."""
    w = np.asarray(img, np.float64).mean(axis=-1)
    rows, cols = np.indices(w.shape) + 0.5
    return (rows * w).sum() / w.sum(), (cols * w).sum() / w.sum()


@pytest.fixture(scope="module")
def frames(random_mobilenet_v2, cat):
    dreamer = Dreamer(backbone=random_mobilenet_v2, objective={"block_1_expand_relu": 1.0})
    return zoom_frames(dreamer, cat, FRAMES, ZOOM, DreamSettings(steps=2, octaves=1, seed=0), progress=False)


# ----------------------------------------------------------------------------- zoom_in

def test_zoom_in_enlarges_about_the_exact_centre():
    img = np.zeros((64, 64, 3), np.float32)
    img[10:14, 26:30] = 255  # a bright square centred at (12, 28); the image centre is (32, 32)
    zoomed = zoom_in(img, 1.25)
    assert zoomed.shape == img.shape
    # every point moves away from the centre by the zoom: 32 + 1.25 * (12 - 32) = 7, 32 + 1.25 * (28 - 32) = 27
    np.testing.assert_allclose(centroid(zoomed), (7.0, 27.0), atol=0.15)
    # and its area grows by zoom squared
    assert zoomed.sum() / img.sum() == pytest.approx(1.25 ** 2, rel=0.03)


def test_zoom_in_is_the_centre_crop_resized_back():
    img = resize_image(np.random.default_rng(0).uniform(0, 255, (10, 10, 3)), (40, 40))  # smooth
    by_hand = resize_image(img[10:30, 10:30], (40, 40))  # zoom 2 keeps the middle half
    inner = (slice(4, -4), slice(4, -4))  # the filters see beyond the crop only at its edge
    np.testing.assert_allclose(zoom_in(img, 2)[inner], np.clip(by_hand, 0, 255)[inner], atol=1.0)


def test_zoom_in_keeps_any_size_and_zoom_1_changes_nothing():
    img = np.random.default_rng(1).uniform(0, 255, (37, 53, 3)).astype(np.float32)
    assert zoom_in(img, 1.05).shape == (37, 53, 3)
    np.testing.assert_array_equal(zoom_in(img, 1), img)
    assert zoom_in(img, 1.5).min() >= 0 and zoom_in(img, 1.5).max() <= 255


@pytest.mark.parametrize("bad", [0.95, 0, -2, 2.5, float("nan"), float("inf"), "1.05", True, None])
def test_a_nonsense_zoom_is_one_clear_line(bad):
    with pytest.raises(DreamlibError, match="zoom must be a number from 1 to 2, such as 1.05") as e:
        zoom_frames(None, np.zeros((8, 8, 3)), zoom=bad)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("bad", [0, -3, 2.5, 10 ** 6, "4", None])
def test_a_nonsense_frame_count_is_one_clear_line(bad):
    with pytest.raises(DreamlibError, match="frames must be a whole number") as e:
        zoom_frames(None, np.zeros((8, 8, 3)), frames=bad)
    assert "\n" not in str(e.value)


def test_zoom_frames_wants_an_rgb_picture():
    with pytest.raises(DreamlibError, match="RGB"):
        zoom_frames(None, np.zeros((8, 8)), frames=1)


# ----------------------------------------------------------------------------- the frame chain

def test_frame_count_and_constant_size(frames, cat):
    assert len(frames) == FRAMES
    assert all(f.image.shape == cat.shape for f in frames)
    assert all(f.untrained for f in frames)


def test_first_frame_is_a_dream_of_the_input(frames, cat):
    assert np.abs(frames[0].image - cat).mean() > 0.2, "the first frame should be dreamed, not a copy"
    assert correlation(frames[0].image, cat) > 0.5


def test_consecutive_frames_are_related_not_independent(frames):
    rng = np.random.default_rng(0)
    for before, after in zip(frames, frames[1:]):
        related = correlation(after.image, before.image)
        noise = correlation(after.image, rng.uniform(0, 255, after.image.shape))
        shuffled = correlation(after.image, rng.permutation(before.image.reshape(-1, 3)).reshape(before.image.shape))
        assert related > 0.6 and related > shuffled + 0.25 and abs(noise) < 0.1, (related, shuffled, noise)
        # and each frame grew from the previous frame *zoomed in*, not from the previous frame itself
        assert correlation(after.image, zoom_in(before.image, ZOOM)) > related


class FakeDreamer:
    """Records what it was asked to dream; interrupts (as Ctrl-C would) on call ``interrupt_at``."""

    untrained = False

    def __init__(self, interrupt_at=None):
        self.calls, self.interrupt_at = [], interrupt_at

    def dream(self, image, settings, progress=True):
        self.calls.append((np.array(image), settings))
        if len(self.calls) == self.interrupt_at:
            raise KeyboardInterrupt
        record = DreamRecord("fake", "imagenet", "none", {}, image.shape[:2], losses=[[1.0]])
        return DreamResult(np.asarray(image) + 1, record)


def test_each_frame_dreams_the_last_one_zoomed_with_its_own_seed(cat):
    fake = FakeDreamer()
    made = zoom_frames(fake, cat, 3, 1.2, DreamSettings(steps=1, octaves=1, seed=7), progress=False)
    np.testing.assert_array_equal(fake.calls[0][0], cat)
    np.testing.assert_allclose(fake.calls[2][0], zoom_in(made[1].image, 1.2))
    assert [s.seed for _, s in fake.calls] == [7, 8, 9]  # different random rolls per frame, repeatable


def test_ctrl_c_and_on_frame_keep_the_frames_made_so_far(cat):
    by_keyboard = zoom_frames(FakeDreamer(interrupt_at=3), cat, 5, progress=False)
    assert len(by_keyboard) == 2 and by_keyboard.interrupted
    by_button = zoom_frames(FakeDreamer(), cat, 5, progress=False, on_frame=lambda i, r: i < 1)
    assert len(by_button) == 2 and by_button.interrupted
    assert not zoom_frames(FakeDreamer(), cat, 2, progress=False).interrupted


def test_default_frame_settings_are_short_one_octave_dreams():
    assert (frame_settings(quick=True).octaves, frame_settings(quick=True).steps) == (1, 5)
    assert (frame_settings(quick=False).octaves, frame_settings(quick=False).steps) == (1, 10)
    mine = DreamSettings(steps=3, octaves=2)
    assert frame_settings(mine) is mine
    with pytest.raises(DreamlibError, match="DreamSettings"):
        frame_settings({"steps": 3})


# ----------------------------------------------------------------------------- animation files

def test_gif_has_every_frame_loops_forever_and_keeps_the_size(frames, tmp_path):
    path = save_animation(frames, tmp_path / "zoom.gif", fps=10)
    with Image.open(path) as gif:
        assert gif.n_frames == FRAMES and gif.info["loop"] == 0 and gif.info["duration"] == 100
        for index in range(FRAMES):
            gif.seek(index)
            assert gif.size == (frames[0].image.shape[1], frames[0].image.shape[0])
            picture = np.asarray(gif.convert("RGB"), np.float32)
            assert has_untrained_strip(picture), f"frame {index} lacks the UNTRAINED label"
            # the picture above the label is the frame (up to GIF's 256-colour palette)
            assert np.abs(picture[:-16] - frames[index].image[:-16]).mean() < 12


def test_untrained_label_only_when_untrained(cat, tmp_path):
    plain = [cat, zoom_in(cat, 1.1)]
    for untrained in (False, True):
        with Image.open(save_animation(plain, tmp_path / f"{untrained}.gif", untrained=untrained)) as gif:
            assert has_untrained_strip(np.asarray(gif.convert("RGB"))) is untrained
    assert not has_untrained_strip(cat)


@pytest.mark.skipif(not HAS_FFMPEG, reason="imageio-ffmpeg is not installed: `pip install imageio-ffmpeg` "
                                           "to test MP4 output")
def test_mp4_has_every_frame(frames, tmp_path):
    import imageio.v2 as imageio

    odd = [f.image[:, :-1] for f in frames]  # an odd width: padded to even, not rescaled
    path = save_animation(odd, tmp_path / "zoom.mp4", fps=8, untrained=True)
    with imageio.get_reader(path) as reader:
        assert reader.count_frames() == FRAMES
        assert reader.get_meta_data()["fps"] == 8
        height, width = odd[0].shape[:2]
        assert reader.get_data(0).shape[:2] == (height + height % 2, width + width % 2)


def test_mp4_without_imageio_ffmpeg_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import now fails, as when not installed
    with pytest.raises(DreamlibError, match="pip install imageio imageio-ffmpeg, or save as .gif"):
        check_animation_path(tmp_path / "zoom.mp4")


@pytest.mark.parametrize("name,frames_given,match", [
    ("zoom.avi", [np.zeros((8, 8, 3))], "end the name with .gif or .mp4"),
    ("zoom.gif", [], "at least one frame"),
    ("zoom.gif", [np.zeros((8, 8, 3)), np.zeros((8, 9, 3))], "one size"),
    ("zoom.gif", [np.zeros((8, 8))], "RGB"),
])
def test_bad_animations_are_one_clear_line(tmp_path, name, frames_given, match):
    with pytest.raises(DreamlibError, match=match):
        save_animation(frames_given, tmp_path / name)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("fps", [0, -1, 1000, float("nan"), "12"])
def test_bad_fps(tmp_path, fps):
    with pytest.raises(DreamlibError, match="fps must be"):
        save_animation([np.zeros((8, 8, 3))], tmp_path / "x.gif", fps=fps)


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_write_leaves_no_partial_file(monkeypatch, tmp_path, failure):
    def half_then_fail(pictures, file, fps):
        with open(file, "wb") as f:
            f.write(b"GIF89a half a file")
        raise failure

    monkeypatch.setattr(images, "_write_gif", half_then_fail)
    with pytest.raises(DreamlibError if isinstance(failure, OSError) else KeyboardInterrupt) as e:
        save_animation([np.zeros((8, 8, 3))], tmp_path / "zoom.gif")
    if isinstance(failure, OSError):
        assert "No space left on device" in str(e.value)
    assert not list(tmp_path.iterdir()), "no half-written file and no temp file left behind"


def test_existing_files_and_inputs_are_protected(tmp_path):
    frame = [np.full((8, 8, 3), 50.0)]
    existing = tmp_path / "old.gif"
    existing.write_bytes(b"keep me")
    with pytest.raises(DreamlibError, match="already exists"):
        save_animation(frame, existing)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(DreamlibError, match="input picture"):
        save_animation(frame, existing, overwrite=True, protect=[existing])
    assert existing.read_bytes() == b"keep me"
    save_animation(frame, existing, overwrite=True)
    with Image.open(existing) as gif:
        assert gif.format == "GIF"


# ----------------------------------------------------------------------------- the command line

def test_cli_zoom_writes_a_labelled_gif_and_says_where(tmp_path, capsys):
    out = tmp_path / "zoom.gif"
    assert main(["zoom", "chelsea", str(out), *RANDOM, "--frames", "3", "--zoom", "1.2", "--fps", "5"]) == 0
    assert f"Zoom animation saved to {out} (3 frames" in capsys.readouterr().out
    with Image.open(out) as gif:
        assert gif.n_frames == 3 and gif.info["duration"] == 200 and max(gif.size) == 64
        for index in range(3):
            gif.seek(index)
            assert has_untrained_strip(np.asarray(gif.convert("RGB")))


def test_cli_quick_default_plays_for_seconds_not_a_blink(tmp_path):
    out = tmp_path / "zoom.gif"
    assert main(["zoom", "coffee", str(out), *RANDOM, "--steps", "1"]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == 24
        assert gif.n_frames * gif.info["duration"] >= 1500  # milliseconds at the default 12 fps


@pytest.mark.parametrize("extra,match", [
    (["--zoom", "0.5"], "zoom must be a number from 1 to 2"),
    (["--zoom", "many"], "not a number"),
    (["--frames", "0"], "frames must be a whole number"),
    (["--fps", "0"], "fps must be"),
    (["--octaves", "12"], "use at most"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, extra, match):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["zoom", "chelsea", "out.gif", *RANDOM, *extra])
    except SystemExit as e:  # argparse's own errors
        code = e.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("dreamlib: ") and match in err[-1]
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("args,match", [
    (["zoom", "no-such.jpg", "out.gif"], "no image file"),
    (["zoom", "chelsea", "out.avi"], "end the name with .gif or .mp4"),
])
def test_cli_bad_files_are_one_line_and_exit_2(tmp_path, monkeypatch, capsys, args, match):
    monkeypatch.chdir(tmp_path)
    assert main([*args, *RANDOM]) == 2
    assert match in capsys.readouterr().err.strip().splitlines()[-1]
    assert not os.listdir(tmp_path)


def test_cli_never_overwrites_its_input_or_an_existing_file(tmp_path, capsys):
    source = save_animation([np.full((40, 40, 3), 100.0)], tmp_path / "photo.gif")  # a GIF is a valid input
    before = source.read_bytes()
    assert main(["zoom", str(source), str(source), *RANDOM, "--overwrite"]) == 2
    assert "input picture" in capsys.readouterr().err
    other = save_image(np.zeros((8, 8, 3)), tmp_path / "other.png")
    assert main(["zoom", str(source), str(other.with_suffix(".gif")), *RANDOM]) == 0
    assert main(["zoom", str(source), str(other.with_suffix(".gif")), *RANDOM]) == 2
    assert "already exists" in capsys.readouterr().err
    assert source.read_bytes() == before

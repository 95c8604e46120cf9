import os

import numpy as np
import pytest
from PIL import Image

from dreamlib import images
from dreamlib.errors import DreamlibError
from tests.conftest import has_untrained_strip


def test_every_sample_loads_as_float_rgb():
    for name in images.list_samples():
        img = images.load_image(name)
        assert img.dtype == np.float32 and img.ndim == 3 and img.shape[-1] == 3
        assert 0 <= img.min() and img.max() <= 255 and img.max() > 100


def test_samples_have_credits():
    credits = (images.SAMPLES_DIR / "CREDITS.md").read_text()
    for name in images.list_samples():
        assert f"{name}.jpg" in credits


@pytest.mark.parametrize("mode", ["L", "1", "P", "RGBA", "LA", "CMYK", "I;16", "I", "F"])
def test_odd_modes_become_rgb(tmp_path, mode):
    base = Image.new("RGB", (20, 10), (200, 100, 50))
    pil = base.convert(mode) if mode not in ("I;16", "I", "F") else Image.new(mode, (20, 10), 3000)
    path = tmp_path / ("x.tif" if mode in ("CMYK", "I;16", "I", "F") else "x.png")
    pil.save(path)
    img = images.load_image(path)
    assert img.shape == (10, 20, 3) and img.dtype == np.float32
    assert 0 <= img.min() and img.max() <= 255


def test_transparent_pixels_become_white(tmp_path):
    pil = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    pil.save(tmp_path / "clear.png")
    assert np.allclose(images.load_image(tmp_path / "clear.png"), 255)


def test_sixteen_bit_keeps_its_brightness(tmp_path):
    Image.new("I;16", (4, 4), 65535).save(tmp_path / "white16.png")
    assert np.allclose(images.load_image(tmp_path / "white16.png"), 255)


def test_exif_orientation_is_applied(tmp_path):
    pil = Image.new("RGB", (30, 10), (0, 0, 0))
    exif = pil.getexif()
    exif[0x0112] = 6  # rotate 90 degrees when displayed
    pil.save(tmp_path / "rotated.jpg", exif=exif)
    assert images.load_image(tmp_path / "rotated.jpg").shape == (30, 10, 3)


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(DreamlibError, match="no image file .*bundled sample"):
        images.load_image(tmp_path / "nope.jpg")


def test_folder_is_not_an_image(tmp_path):
    with pytest.raises(DreamlibError, match="is a folder"):
        images.load_image(tmp_path)


@pytest.mark.parametrize("content", [b"not an image at all", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_corrupt_file_is_one_clear_error(tmp_path, content):
    (tmp_path / "bad.png").write_bytes(content)
    with pytest.raises(DreamlibError, match="cannot read .* as an image"):
        images.load_image(tmp_path / "bad.png")


def test_truncated_jpeg_is_one_clear_error(tmp_path):
    data = images.sample_path("chelsea").read_bytes()
    (tmp_path / "half.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(DreamlibError, match="cannot read"):
        images.load_image(tmp_path / "half.jpg")


def test_absurdly_big_image_is_refused(tmp_path, monkeypatch):
    Image.new("RGB", (300, 300)).save(tmp_path / "big.png")
    monkeypatch.setattr(images, "MAX_MEGAPIXELS", 0.05)
    with pytest.raises(DreamlibError, match="megapixels"):
        images.load_image(tmp_path / "big.png")


def test_resize_and_fit_within():
    img = images.load_image("coffee")
    assert images.resize_image(img, (50, 70)).shape == (50, 70, 3)
    small = images.fit_within(img, 100)
    assert max(small.shape[:2]) == 100
    assert images.fit_within(small, 1000).shape == small.shape  # never enlarges


@pytest.mark.parametrize("shape", [(0, 10), (-1, 5), ("a", 3), (10**6, 10**6)])
def test_nonsense_sizes_are_refused(shape):
    with pytest.raises(DreamlibError):
        images.resize_image(np.zeros((4, 4, 3), np.float32), shape)


def test_save_round_trip_with_metadata(tmp_path):
    img = images.load_image("chelsea", max_size=64)
    path = images.save_image(img, tmp_path / "sub" / "out.png", metadata={"dreamlib:model": "x"})
    with Image.open(path) as pil:
        assert pil.text["dreamlib:model"] == "x"
        assert np.abs(np.asarray(pil, np.float32) - images.to_uint8(img)).max() == 0


def test_save_refuses_to_overwrite_unless_asked(tmp_path):
    img = np.zeros((4, 4, 3), np.float32)
    images.save_image(img, tmp_path / "a.png")
    with pytest.raises(DreamlibError, match="already exists"):
        images.save_image(img, tmp_path / "a.png")
    images.save_image(img + 255, tmp_path / "a.png", overwrite=True)
    assert images.load_image(tmp_path / "a.png").min() == 255


def test_save_never_replaces_the_input(tmp_path):
    img = np.zeros((4, 4, 3), np.float32)
    source = images.save_image(img, tmp_path / "in.png")
    with pytest.raises(DreamlibError, match="input picture"):
        images.save_image(img, source, overwrite=True, protect=[source])


def test_save_rejects_unknown_extension(tmp_path):
    with pytest.raises(DreamlibError, match="end the name with"):
        images.save_image(np.zeros((4, 4, 3)), tmp_path / "out.xyz")


def test_failed_save_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    img = np.zeros((8, 8, 3), np.float32)
    target = images.save_image(img, tmp_path / "keep.png")
    before = target.read_bytes()

    def broken_save(self, fp, *args, **kwargs):
        with open(fp, "wb") as f:
            f.write(b"half a picture")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(DreamlibError, match="cannot write"):
        images.save_image(img + 1, target, overwrite=True)
    with pytest.raises(DreamlibError):
        images.save_image(img, tmp_path / "new.png")
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.png"]


def test_saved_files_are_readable_by_others_as_the_umask_allows(tmp_path):
    old = os.umask(0o022)
    try:
        path = images.save_image(np.zeros((8, 8, 3), np.float32), tmp_path / "shared.png")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_label_marks_the_bottom_strip():
    img = np.full((60, 200, 3), 128, np.float32)
    labelled = images.label_image(img, "UNTRAINED")
    assert np.array_equal(labelled[:30], img[:30])
    assert not np.array_equal(labelled[-10:], img[-10:])


def yellow_columns(picture):
    """Columns of ``picture`` holding the stamp's yellow text."""
    p = np.asarray(picture, np.float32)
    return np.flatnonzero(((p[..., 0] > 150) & (p[..., 1] > 130) & (p[..., 2] < 110)).any(axis=0))


@pytest.mark.parametrize("width", [64, 96, 200, 500])
def test_the_untrained_stamp_fits_whole_on_any_picture(width):
    img = np.full((width * 2 // 3, width, 3), 128, np.float32)
    stamped = images.stamp_untrained(img)
    assert has_untrained_strip(stamped)
    columns = yellow_columns(stamped)
    assert columns[-1] < width - 1, "the text runs into the right edge: it is cut off"
    text = images.untrained_label(img)
    assert text.startswith("UNTRAINED")
    if width >= 300:
        assert text == images.UNTRAINED_LABEL  # the whole sentence where it fits
    assert np.array_equal(stamped[: width // 3], img[: width // 3]), "the stamp covers at most the bottom"
    assert np.array_equal(images.stamp_untrained(img, untrained=False), img)


def test_on_a_picture_too_narrow_for_the_word_the_stamp_shrinks_whole():
    img = np.full((21, 32, 3), 128, np.float32)
    strip = images.stamp_untrained(img)[-8:]
    assert strip.mean() < 40 and strip[..., 0].max() > 120  # dark, with the (tiny) word in it
    assert strip[:, -1].max() < 20, "the word runs into the right edge: it is cut off"


def test_a_long_label_wraps_instead_of_running_off_the_picture():
    img = np.full((120, 160, 3), 128, np.float32)
    labelled = images.label_image(img, "after octave 3 - InceptionV3 - UNTRAINED network (random weights)")
    assert yellow_columns(labelled)[-1] < 159
    top = images.label_image(img, "a caption", top=True)
    assert not np.array_equal(top[:8], img[:8]) and np.array_equal(top[-40:], img[-40:])


def test_grid_stamps_untrained_pictures_and_wraps_long_titles():
    pictures = [np.full((64, 64, 3), 128, np.float32)] * 3
    title = "after octave 1: 85x128\nInceptionV3 - UNTRAINED network (random weights)"
    fig = images.image_grid(pictures, [title] * 3, cols=3, size=2.0, untrained=[True, False, True])
    shown = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert [has_untrained_strip(p) for p in shown] == [True, False, True]
    lines = fig.axes[0].get_title().split("\n")
    assert len(lines) >= 3 and max(map(len, lines)) <= 2.0 * 72 / (0.6 * 9)  # fits its picture's width
    with pytest.raises(DreamlibError, match="one flag per image"):
        images.image_grid(pictures, untrained=[True])


def test_grid_shows_every_image():
    fig = images.image_grid([np.zeros((4, 4, 3))] * 5, titles=list("abcde"), cols=3)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 5 and shown[4].get_title() == "e"


def test_load_image_reads_bytes_and_names_them_in_errors():
    import io

    buffer = io.BytesIO()
    Image.new("LA", (30, 20), (200, 128)).save(buffer, format="PNG")
    img = images.load_image(buffer.getvalue())
    assert img.shape == (20, 30, 3) and img.dtype == np.float32
    with pytest.raises(DreamlibError, match="cannot read the uploaded x.png as an image"):
        images.load_image(b"not a picture", name="the uploaded x.png")


def test_a_picture_pillow_itself_finds_too_big_gets_one_clear_error(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("1", (10_000, 9_100)).save(path)   # 91 MP: Pillow warns before dreamlib reads the size
    with pytest.raises(DreamlibError, match="huge.png is too many pixels.*shrink it first"):
        images.load_image(path)

"""The dream explorer, driven from Python as a learner drives it: set values, press buttons, read the preview."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from dreamlib import models
from dreamlib.dream import UNTRAINED_LABEL
from dreamlib.errors import DreamlibError
from dreamlib.images import to_uint8
from dreamlib.widgets import NO_GUIDE, UPLOAD, explorer, free_stem

SHALLOW = {"block_1_expand_relu": 1.0}  # random MobileNetV2's deep layers collapse; shallow ones do not


@pytest.fixture
def ex():
    """An explorer on a tiny cat (96x64) with an untrained MobileNetV2 and quick settings."""
    return explorer(image="chelsea", model="mobilenet_v2", layers=SHALLOW, random_weights=True, max_size=96,
                    steps=2, octaves=2, seed=0)


def decoded(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def png_file(size, color=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(widget, name, content):
    """What the browser sends when a file is chosen (FileUpload's own deserialiser turns it into .value)."""
    widget.set_state({"value": [{"name": name, "type": "image/png", "size": len(content),
                                 "content": memoryview(content), "last_modified": 0}]})


def test_dream_button_updates_the_preview_and_progress(ex):
    before = decoded(ex.preview.value)
    assert before.shape == (64, 96, 3)                       # the picture, fitted within max size
    assert not ex.problems() and not ex.dream_button.disabled
    assert ex.stop_button.disabled and ex.save_button.disabled

    ex.dream_button.click()
    assert ex.dreaming and not ex.stop_button.disabled and ex.dream_button.disabled
    assert ex.steps.disabled and ex.model_choice.disabled      # settings cannot change mid-dream
    result = ex.join(timeout=60)

    assert ex.error is None and result is not None
    after = decoded(ex.preview.value)
    assert after.shape == before.shape
    assert np.array_equal(after, to_uint8(result.labelled_image()))  # the untrained warning is stamped on
    assert np.abs(result.image - ex.picture).mean() > 0.5       # the dream changed the picture
    assert ex.progress.value == ex.progress.max == 2 * 2
    assert len(result.record.losses) == 2 and not result.record.interrupted
    assert ex.stop_button.disabled and not ex.save_button.disabled and not ex.dream_button.disabled
    assert "done" in ex.status.value


def test_preview_updates_after_every_octave(ex):
    shown = []
    ex.preview.observe(lambda change: shown.append(change["new"]), names="value")
    ex.octaves.value = 3
    ex.dream(wait=True)
    assert len(shown) == 3                                      # one per octave (the last one is the result)
    pictures = [decoded(png) for png in shown]
    assert all(p.shape == (64, 96, 3) for p in pictures)
    assert not np.array_equal(pictures[0], pictures[1]) and not np.array_equal(pictures[1], pictures[2])


def test_stop_keeps_the_picture_made_so_far(ex):
    ex.octaves.value = 3
    ex.steps.value = 50
    ex.dream_button.click()
    ex.stop_button.click()          # heard at once: the dream runs in a thread; it ends after this step
    result = ex.join(timeout=60)
    assert result.record.interrupted
    assert len(result.record.losses) == 1 and len(result.record.losses[0]) < 50   # mid-octave
    assert ex.progress.value == len(result.record.losses[0])
    assert np.array_equal(decoded(ex.preview.value), to_uint8(result.labelled_image()))
    assert result.image.shape == ex.picture.shape
    assert "stopped" in ex.status.value
    assert ex.stop_button.disabled and not ex.save_button.disabled


def test_save_writes_png_and_settings_json_and_never_overwrites(ex, tmp_path):
    with pytest.raises(DreamlibError, match="nothing to save"):
        ex.save()
    ex.folder.value = str(tmp_path / "out")
    ex.steps.value = 3
    result = ex.dream(wait=True)
    ex.save_button.click()
    ex.save_button.click()
    png, js = tmp_path / "out" / "chelsea_mobilenet_v2.png", tmp_path / "out" / "chelsea_mobilenet_v2.json"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "chelsea_mobilenet_v2.json", "chelsea_mobilenet_v2.png",
        "chelsea_mobilenet_v2_2.json", "chelsea_mobilenet_v2_2.png"]  # no temp files left, nothing replaced
    assert "saved" in ex.status.value

    with Image.open(png) as pil:
        assert pil.size == (96, 64)
        assert json.loads(pil.text["dreamlib:settings"])["steps"] == 3
        saved = np.asarray(pil.convert("RGB"))
    assert np.array_equal(saved, to_uint8(result.labelled_image()))
    data = json.loads(js.read_text())
    assert data["picture"] == png.name and data["image"] == "chelsea" and data["model"] == "mobilenet_v2"
    assert data["layers"] == SHALLOW and data["guide"] is None
    assert data["settings"]["steps"] == 3 and data["settings"]["octaves"] == 2
    from dreamlib import knobs

    replay = knobs.read_saved(js)  # what `dreamlib dream --settings FILE.json` replays
    assert replay["steps"] == 3 and replay["model"] == "mobilenet_v2" and replay["max_size"] == 96
    assert data["weights"] == models.UNTRAINED and data["interrupted"] is False
    assert data["octave_shapes"] == [list(s) for s in result.record.octave_shapes]


def test_free_stem_skips_names_taken_by_either_file(tmp_path):
    (tmp_path / "cat.json").write_text("{}")
    assert free_stem(tmp_path, "cat") == "cat_2"
    assert free_stem(tmp_path, "dog") == "dog"


def test_nonsense_combinations_disable_dream_and_say_why(ex):
    ex.octaves.value = 5            # 64 px / 1.4**4 = 17 px, below MobileNetV2's 32
    assert ex.dream_button.disabled
    assert "smallest octave would be 17x25 px" in ex.explanation.value
    assert "at most 3 octaves" in ex.explanation.value
    ex.dream_button.click()         # pressed anyway (it is disabled in a browser): said, not started
    assert not ex.dreaming and "smallest octave" in ex.status.value
    ex.octaves.value = 3
    assert not ex.dream_button.disabled and ex.explanation.value == ""

    ex.step_size.value = 0.0
    assert ex.dream_button.disabled and "step_size must be a number above 0" in ex.explanation.value
    ex.step_size.value = 0.01
    ex.max_size.value = 40          # 40x27 px: the picture itself is below the model's minimum
    assert ex.dream_button.disabled and "use a picture at least 32 px on each side" in ex.explanation.value
    ex.octaves.value = 1            # fewer octaves cannot help, and the advice does not say they would
    assert ex.dream_button.disabled and "octave" not in ex.explanation.value
    ex.max_size.value = 48
    assert not ex.dream_button.disabled


def test_layer_text_is_checked_as_you_type_and_syncs_with_the_list(ex):
    assert ex.layer_choice.value == ("block_1_expand_relu",)
    ex.layer_weights.value = "block_1_expand_relu:abc"
    assert "cannot read layer weight" in ex.layer_error.value and ex.dream_button.disabled
    ex.layer_weights.value = "no_such_layer:1"
    assert "has no layer called 'no_such_layer'" in ex.layer_error.value and ex.dream_button.disabled
    ex.layer_weights.value = "block_1_expand_relu:2, block_2_expand_relu"
    assert ex.layer_error.value == "" and not ex.dream_button.disabled
    assert ex.layer_choice.value == ("block_1_expand_relu", "block_2_expand_relu")
    ex.layer_choice.value = ("block_1_expand_relu", "block_3_expand_relu")  # picked in the list
    assert ex.layer_weights.value == "block_1_expand_relu:2, block_3_expand_relu:1"
    result = ex.dream(wait=True)
    assert "block_3_expand_relu" in result.record.objective and "2 * " in result.record.objective


def test_changing_model_resets_layers_step_size_and_weights_warning(ex, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))  # no real weights anywhere
    ex.step_size.value = 0.05
    ex.model_choice.value = "mobilenet"
    spec = models.get_spec("mobilenet")
    assert ex.layer_weights.value == ", ".join(f"{k}:{v:g}" for k, v in spec.default_layers.items())
    assert ex.layer_choice.value == tuple(spec.default_layers)
    assert ex.step_size.value == spec.step_size
    assert "UNTRAINED" in ex.warning.value and not ex.dream_button.disabled

    ex.random_weights.value = False             # real weights asked for, none cached: explained
    assert ex.dream_button.disabled and "mobilenet has no ImageNet weights" in ex.explanation.value
    assert "random weights (untrained, for testing)" in ex.explanation.value
    assert ex.warning.value == ""
    assert ex.layer_choice.value == tuple(spec.default_layers)  # the same model keeps its layers


def test_random_weights_only_when_allowed_and_no_real_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    monkeypatch.delenv("DREAMLIB_ALLOW_RANDOM_WEIGHTS", raising=False)
    shallow = {"conv_pw_1_relu": 1.0}  # MobileNet v1's features are not bundled with dreamlib
    strict = explorer(model="mobilenet", layers=shallow, max_size=96)
    assert not strict.random_weights.value and strict.dream_button.disabled
    monkeypatch.setenv("DREAMLIB_ALLOW_RANDOM_WEIGHTS", "1")
    allowed = explorer(model="mobilenet", layers=shallow, max_size=96)
    assert allowed.random_weights.value and not allowed.dream_button.disabled
    assert UNTRAINED_LABEL.split(" ")[0] in allowed.warning.value


def test_guide_choice_enables_the_guide_layer_and_guides_the_dream(ex, tmp_path):
    assert ex.guide_choice.value == NO_GUIDE and ex.guide_layer.disabled and not ex.layer_choice.disabled
    ex.guide_choice.value = "coffee"
    assert not ex.guide_layer.disabled and ex.layer_choice.disabled and ex.layer_weights.disabled
    assert ex.guide_layer.options[1:] == ex.layer_choice.options
    ex.layer_weights.value = "typo:x"           # ignored: the guide decides what to grow
    assert not ex.dream_button.disabled
    ex.guide_layer.value = "block_2_expand_relu"
    result = ex.dream(wait=True)
    assert ex.error is None and result.record.objective.startswith("guided(block_2_expand_relu")
    ex.folder.value = str(tmp_path)
    _, js = ex.save()
    data = json.loads(js.read_text())
    assert data["guide"] == "coffee" and data["guide_layer"] == "block_2_expand_relu" and data["layers"] is None

    ex.guide_choice.value = UPLOAD              # chosen, nothing uploaded yet
    assert ex.dream_button.disabled and "upload guide" in ex.explanation.value
    upload(ex.guide_upload, "tiny.png", png_file((20, 20)))
    assert not ex.dream_button.disabled
    with pytest.raises(DreamlibError, match="minimum of 32 px"):
        ex.dream(wait=True)                      # the network refuses a 20 px guide: said, not lost
    assert "below mobilenet_v2's minimum of 32 px" in ex.error and "dream failed" in ex.status.value
    assert not ex.dreaming and not ex.dream_button.disabled
    _, js = ex.save()                            # still the last good picture, with ITS settings
    data = json.loads(js.read_text())
    assert data["guide"] == "coffee" and data["objective"].startswith("guided(block_2_expand_relu")


def test_uploaded_picture_is_dreamed_on(ex):
    upload(ex.image_upload, "red.png", png_file((120, 80)))
    assert ex.image_choice.value == UPLOAD
    assert ex.picture.shape == (64, 96, 3)      # fitted within max size
    assert decoded(ex.preview.value)[0, 0].tolist() == [200, 30, 30]
    upload(ex.image_upload, "broken.png", b"not a picture")
    assert ex.picture is None and ex.dream_button.disabled
    assert "cannot read the uploaded broken.png" in ex.explanation.value


def test_explorer_displays_as_its_widget(ex):
    bundle = ex._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
    assert "dreamlib-preview" in ex.preview._dom_classes


def test_bad_arguments_are_one_clear_error():
    with pytest.raises(DreamlibError, match="guide must be 'none', a sample"):
        explorer(model="mobilenet_v2", random_weights=True, guide="kitten")
    with pytest.raises(DreamlibError, match="unknown model 'alexnet'"):
        explorer(model="alexnet")
    with pytest.raises(DreamlibError, match="number of octaves"):
        explorer(model="mobilenet_v2", random_weights=True, octaves=range(-2, 1))


def test_without_a_model_an_empty_cache_explores_the_bundled_network_and_says_so(empty_cache, capsys):
    ex = explorer(image="chelsea", layers=SHALLOW, max_size=96)
    assert ex.model_choice.value == "mobilenet_v2" and not ex.random_weights.value
    assert not ex.backbone.untrained and not ex.dream_button.disabled
    line = "inception_v3 weights are not cached: dreaming with the bundled mobilenet_v2 (real ImageNet weights)"
    assert ex.model_note.startswith(line) and line in capsys.readouterr().out


def test_channels_are_checked_and_dreamed_with_and_saved(ex, tmp_path):
    ex.channels.value = "3,500"
    assert ex.dream_button.disabled and "channel 500 does not exist" in ex.explanation.value
    ex.channels.value = "loudest:2"
    assert ex.dream_button.disabled and "cannot read channels" in ex.explanation.value
    ex.channels.value = "strongest:2"
    assert not ex.dream_button.disabled
    result = ex.dream(wait=True)
    assert "[channels " in result.record.objective and result.record.recipe["channels"] == "strongest:2"
    ex.folder.value = str(tmp_path)
    png, js = ex.save()
    from dreamlib import knobs

    assert json.loads(js.read_text())["channels"] == "strongest:2"
    assert knobs.read_saved(js)["channels"] == "strongest:2" == knobs.read_saved(png)["channels"]
    ex.channels.value = ""
    assert "channels" not in ex.dream(wait=True).record.objective
    ex.guide_choice.value = "coffee"
    assert ex.channels.disabled  # the guide decides what grows


def test_ranked_channels_are_ranked_again_on_each_new_picture(ex, monkeypatch):
    from dreamlib.widgets import panel

    ex.channels.value = "strongest:2"
    key, make = ex._objective()
    assert make().recipe["channels"] == "strongest:2"
    # a new picture in the old one's memory (CPython reuses ids): the key must still change
    same_place = ex.picture
    monkeypatch.setattr(panel, "chosen_picture", lambda *args: (same_place, None))
    ex.image_choice.value = "coffee"
    assert ex.picture is same_place and ex._objective()[0] != key
    monkeypatch.undo()
    ex.channels.value = "3,7"          # numbered channels do not depend on the picture
    numbered = ex._objective()[0]
    ex.image_choice.value = "coffee"
    assert ex._objective()[0] == numbered

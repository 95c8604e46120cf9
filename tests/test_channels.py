"""Channels in dreams: by number, or the strongest / weakest on the picture; the CLI lists them."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from dreamlib import knobs, objectives
from dreamlib.channels import channel_activations, choose_channels, rank_channels
from dreamlib.cli import main
from dreamlib.dream import build_dreamer, dream
from dreamlib.errors import DreamlibError

LAYER = "block_3_expand_relu"
RANDOM = ["--model", "mobilenet_v2", "--random-weights", "--layers", f"{LAYER}:1"]
QUICK = ["--quick", "--steps", "2", "--octaves", "1", "--max-size", "64"]


@pytest.mark.parametrize("text, meaning", [("3,7,12", ("indices", [3, 7, 12])), (" 5 ", ("indices", [5])),
                                           ("7,3,7", ("indices", [7, 3])), ("strongest:5", ("strongest", 5)),
                                           ("weakest:1", ("weakest", 1))])
def test_the_channels_knob_reads_numbers_or_a_rank(text, meaning):
    assert knobs.parse_channels(text) == meaning
    assert knobs.check({"channels": text}) == {"channels": text}


@pytest.mark.parametrize("text", ["", "three", "3,-1", "strongest:0", "strongest:x", "loudest:3", "2.5"])
def test_nonsense_channels_are_one_line(text):
    with pytest.raises(DreamlibError, match="cannot read channels"):
        knobs.check({"channels": text})


def test_channels_are_ranked_by_their_mean_activation_on_the_picture(random_mobilenet_v2, cat):
    means = channel_activations(random_mobilenet_v2, LAYER, cat)
    assert means.shape == (random_mobilenet_v2.model.get_layer(LAYER).output.shape[-1],)
    strongest = rank_channels(random_mobilenet_v2, LAYER, cat, 4)
    assert [i for i, _ in strongest] == list(np.argsort(means)[::-1][:4])
    assert [m for _, m in strongest] == sorted((m for _, m in strongest), reverse=True)
    weakest = rank_channels(random_mobilenet_v2, LAYER, cat, 4, weakest=True)
    assert all(m > 0 for _, m in weakest) and [m for _, m in weakest] == sorted(m for _, m in weakest)
    assert weakest[0][1] == means[means > 0].min()
    # a big picture is ranked on a shrunk copy, with nearly the same means
    big = np.asarray(Image.fromarray(cat.astype(np.uint8)).resize((1152, 768)), np.float32)
    assert np.corrcoef(channel_activations(random_mobilenet_v2, LAYER, big), means)[0, 1] > 0.9


def test_choose_channels_checks_numbers_and_needs_the_picture_for_ranks(random_mobilenet_v2, cat):
    assert choose_channels(random_mobilenet_v2, [LAYER], "1,2") == {LAYER: [1, 2]}
    with pytest.raises(DreamlibError, match=r"has 96 channels \(0..95\); channel 500 does not exist"):
        choose_channels(random_mobilenet_v2, [LAYER], "3,500")
    with pytest.raises(DreamlibError, match="no layer called"):
        choose_channels(random_mobilenet_v2, ["block_99"], "3")
    with pytest.raises(DreamlibError, match="give the picture"):
        choose_channels(random_mobilenet_v2, [LAYER], "strongest:3")
    chosen = choose_channels(random_mobilenet_v2, [LAYER, "block_5_expand_relu"], "strongest:3", cat)
    assert [len(v) for v in chosen.values()] == [3, 3]


def test_channel_count_and_check_channel_name_the_fix(random_mobilenet_v2):
    from dreamlib.channels import channel_count, check_channel

    assert channel_count(random_mobilenet_v2, LAYER) == 96
    with pytest.raises(DreamlibError, match="no layer called 'block_99'.*dreamlib layers"):
        channel_count(random_mobilenet_v2, "block_99")
    assert check_channel(random_mobilenet_v2, LAYER, np.int64(95)) == 95
    assert type(check_channel(random_mobilenet_v2, LAYER, np.int32(3))) is int
    for bad in (96, -1, True, 2.0, "3"):
        with pytest.raises(DreamlibError, match="a channel is a whole number from 0 to 95"):
            check_channel(random_mobilenet_v2, LAYER, bad)


def test_on_channels_keeps_only_those_channels():
    acts = {"a": tf.constant(np.arange(2 * 2 * 4, dtype=np.float32).reshape(1, 2, 2, 4))}
    kept = objectives.on_channels(objectives.mean_activation("a"), "a", [1, 3])
    assert float(kept(acts)) == pytest.approx(acts["a"].numpy()[..., [1, 3]].mean())
    assert "channels 1, 3" in kept.description


def test_a_dream_with_channels_records_them_and_climbs_another_way(random_mobilenet_v2, cat):
    every = build_dreamer(layers={LAYER: 1.0}, backbone=random_mobilenet_v2)
    strongest = build_dreamer(layers={LAYER: 1.0}, backbone=random_mobilenet_v2, channels="strongest:2",
                              picture=cat)
    top = [i for i, _ in rank_channels(random_mobilenet_v2, LAYER, cat, 2)]
    assert f"[channels {top[0]}, {top[1]}]" in strongest.objective.description
    assert strongest.objective.recipe["channels"] == "strongest:2"
    x = random_mobilenet_v2.preprocess(cat)
    (_, g_every), (_, g_some) = every.gradient(x), strongest.gradient(x)
    cosine = float(tf.reduce_sum(g_every * g_some) / (tf.norm(g_every) * tf.norm(g_some)))
    assert cosine < 0.95  # two channels pull the picture another way than all 96
    a, b = (d.dream(cat, steps=1, octaves=1, seed=0, progress=False) for d in (every, strongest))
    assert a.record.recipe.get("channels") is None and b.record.recipe["channels"] == "strongest:2"


def test_the_one_call_dream_takes_channels(cat, monkeypatch):
    monkeypatch.setenv("DREAMLIB_ALLOW_RANDOM_WEIGHTS", "1")
    result = dream(cat, model="mobilenet_v2", layers={LAYER: 1.0}, weights=None, channels="weakest:2",
                   steps=1, octaves=1, progress=False)
    assert "channels" in result.record.objective and result.record.recipe["channels"] == "weakest:2"


def test_the_command_line_lists_a_layers_strongest_channels(capsys):
    assert main(["channels", "chelsea", "--model", "mobilenet_v2", "--random-weights", "--layer", LAYER,
                 "--count", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"The 3 strongest of 96 channels of {LAYER} (mobilenet_v2 (UNTRAINED")
    rows = [line.split() for line in out[2:5]]
    assert [r[0] for r in rows] == ["1", "2", "3"]
    assert [float(r[2]) for r in rows] == sorted((float(r[2]) for r in rows), reverse=True)
    assert out[5].endswith(f"--layers {LAYER} --channels {','.join(r[1] for r in rows)}")


def test_the_command_line_dreams_with_channels_and_replays_them(tmp_path, capsys):
    out, again = tmp_path / "ch.png", tmp_path / "again.png"
    assert main(["dream", "chelsea", str(out), *QUICK, *RANDOM, "--channels", "strongest:2", "--seed", "1"]) == 0
    assert "[channels " in capsys.readouterr().err
    with Image.open(out) as pil:
        assert '"channels": "strongest:2"' in pil.text["dreamlib:recipe"]
    assert main(["dream", "chelsea", str(again), "--settings", str(out), "--random-weights"]) == 0
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(again)))


def test_unreadable_channels_stop_the_command_line_before_tensorflow(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["dream", "chelsea", "x.png", *QUICK, *RANDOM, "--channels", "loudest:3"])
    assert stop.value.code == 2 and "cannot read channels 'loudest:3'" in capsys.readouterr().err


@pytest.mark.parametrize("args, match", [
    (["dream", "chelsea", "x.png", *QUICK, *RANDOM, "--channels", "999"], "channel 999 does not exist"),
    (["guided", "chelsea", "coffee", "x.png", *QUICK, "--channels", "3"], "--guide-layer NAME instead of --channels"),
    (["channels", "chelsea", "--model", "mobilenet_v2", "--random-weights", "--layer", "block_99"], "no layer called"),
])
def test_bad_channels_are_one_line_and_exit_2(tmp_path, monkeypatch, capsys, args, match):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert match in capsys.readouterr().err.strip().splitlines()[-1]
    assert not (tmp_path / "x.png").exists()

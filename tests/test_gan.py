"""DCGAN (article E): net shapes, one adversarial step, learning on Fashion-MNIST, exact resume."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from dreamlib import data, gan
from dreamlib.cli import main
from dreamlib.errors import DreamlibError

# --quick: the full Fashion-MNIST when it is here, else the bundled subset, never a download
TINY = ["--data", "fashion_mnist", "--limit", "120", "--batch-size", "20", "--epochs", "3", "--seed", "4", "--quick"]


@pytest.fixture(scope="module")
def fashion():
    """Fashion-MNIST training pictures, uint8 (N, 28, 28): the full set when it is here, else the bundled 6,000."""
    return data.load_fashion_mnist(subset=True)[0]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, fashion):
    """A finished two-epoch run on 120 pictures (6 steps an epoch)."""
    run_dir = tmp_path_factory.mktemp("gan") / "run"
    seen = []
    run = gan.train_gan(fashion[:120], run_dir, 2, batch_size=20, seed=5, progress=False,
                        on_epoch=lambda epoch, logs, grid: seen.append((epoch, logs, grid)))
    run.seen = seen
    return run


def one_line_error(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("dreamlib: error: ")
    return err[-1]


@pytest.mark.parametrize("shape, start, blocks", [
    ((28, 28, 1), (7, 7), 3),        # shallow: Fashion-MNIST on a CPU
    ((64, 64, 3), (4, 4), 5),        # article E's deep nets for colour pictures
    ((128, 160, 3), (8, 10), 5),     # article E's own size
])
def test_both_nets_have_the_right_shapes_for_each_size(shape, start, blocks):
    g, d = gan.build_generator(shape), gan.build_discriminator(shape)
    assert g.input_shape == (None, 100) and g.output_shape == (None, *shape)
    assert d.input_shape == (None, *shape) and d.output_shape == (None, 1)
    assert g.get_layer(index=1).output.shape[1:3] == start  # the Dense output reshaped
    assert g.layers[-1].get_config()["activation"] == "tanh"
    strided = [layer for layer in d.layers if layer.__class__.__name__ == "Conv2D"]
    assert len(strided) == blocks and all(layer.strides == (2, 2) for layer in strided)
    assert not any(layer.__class__.__name__.endswith("Pooling2D") for layer in g.layers + d.layers)
    # BatchNorm in both nets, but not on the discriminator's input block (DCGAN rule)
    names = [layer.__class__.__name__ for layer in d.layers]
    assert names[:3] == ["Conv2D", "LeakyReLU", "Dropout"] and "BatchNormalization" in names
    noise = gan.fixed_noise(2)
    pictures = g(noise, training=False).numpy()
    assert pictures.shape == (2, *shape) and np.abs(pictures).max() <= 1
    assert np.all((d(pictures).numpy() >= 0) & (d(pictures).numpy() <= 1))


@pytest.mark.parametrize("shape", [(30, 30, 1), (100, 100, 3), (64, 64, 2), (512, 512, 3), (4, 4, 1), "28x28"])
def test_unsupported_sizes_are_refused_naming_the_rule(shape):
    with pytest.raises(DreamlibError, match="multiples of 4 .* multiples of 16|height, width, channels"):
        gan.build_generator(shape)


def test_one_step_changes_both_nets_and_gives_finite_losses(fashion):
    model = gan.make_dcgan((28, 28, 1), seed=1)
    before_g = [w.numpy().copy() for w in model.generator.trainable_weights]
    before_d = [w.numpy().copy() for w in model.discriminator.trainable_weights]
    logs = model.train_step(data.to_gan_range(fashion[:16]))
    assert set(logs) == {"d_loss", "d_acc", "g_loss"}
    assert all(np.isfinite(float(v)) for v in logs.values()) and 0 <= float(logs["d_acc"]) <= 1
    for before, weights in ((before_g, model.generator), (before_d, model.discriminator)):
        assert all(not np.array_equal(b, w.numpy()) for b, w in zip(before, weights.trainable_weights))


def test_a_short_run_learns_fashion_mnist(tmp_path, fashion):
    test_pictures = data.to_gan_range(data.load_fashion_mnist(split="test", subset=True)[0][:250])
    real = data.to_gan_range(fashion[:1000])
    noise = gan.fixed_noise(250, seed=9)

    def distance_to_data(generator):  # per-pixel mean and std of samples against the data's
        samples = generator(noise, training=False).numpy()
        return (np.abs(samples.mean(0) - real.mean(0)).mean(), np.abs(samples.std(0) - real.std(0)).mean(),
                samples)

    mean_before, std_before, _ = distance_to_data(gan.make_dcgan((28, 28, 1), seed=1).generator)
    run = gan.train_gan(fashion[:1000], tmp_path / "run", 2, batch_size=25, seed=1, progress=False)
    mean_after, std_after, fakes = distance_to_data(run.gan.generator)
    assert mean_after < 0.5 * mean_before and std_after < 0.6 * std_before
    # the discriminator tells unseen real pictures from new fakes better than chance
    p_real = run.gan.discriminator(test_pictures, training=False).numpy()
    p_fake = run.gan.discriminator(fakes, training=False).numpy()
    assert 0.5 * ((p_real > 0.5).mean() + (p_fake < 0.5).mean()) > 0.6
    assert run.history[-1]["d_acc"] > 0.55
    assert all(np.isfinite([h["d_loss"], h["g_loss"]]).all() for h in run.history)


def test_a_run_folder_holds_config_history_grids_gif_and_checkpoints(tiny_run):
    run_dir = tiny_run.run_dir
    config = json.loads((run_dir / "config.json").read_text())
    assert config["image_shape"] == [28, 28, 1] and config["seed"] == 5 and config["latent_dim"] == 100
    assert "120 pictures" in config["data"]
    history = json.loads((run_dir / "history.json").read_text())
    assert history == tiny_run.history and [set(h) for h in history] == [{"d_loss", "d_acc", "g_loss", "seconds"}] * 2
    assert [e for e, _ in gan.checkpoint_paths(run_dir)] == [2, 1]
    # every grid shows the same fixed noise: the first is the untrained generator's, the last the final one's
    noise = gan.fixed_noise(25, 100, seed=5)
    grids = [np.asarray(Image.open(run_dir / "grids" / f"epoch_{e:03d}.png")) for e in range(3)]
    assert grids[0].shape == (5 * 28 + 8, 5 * 28 + 8, 3)
    assert np.array_equal(grids[0], gan.sample_grid(gan.make_dcgan((28, 28, 1), seed=5).generator, noise))
    assert np.array_equal(grids[2], gan.sample_grid(gan.load_generator(run_dir), noise))
    assert not np.array_equal(grids[0], grids[2])
    assert [(e, logs) for e, logs, _ in tiny_run.seen] == list(enumerate(history, 1))
    assert np.array_equal(tiny_run.seen[-1][2], grids[2])
    gif = gan.training_gif(run_dir, run_dir / "again.gif")
    with Image.open(gif) as pil:
        assert pil.n_frames == 3 and pil.info["loop"] == 0


def test_resuming_needs_the_same_settings(tiny_run, fashion):
    with pytest.raises(DreamlibError, match="already holds a GAN run.*resume"):
        gan.train_gan(fashion[:120], tiny_run.run_dir, 3, batch_size=20, seed=5, progress=False)
    with pytest.raises(DreamlibError, match="other settings.*seed 5 -> 6"):
        gan.train_gan(fashion[:120], tiny_run.run_dir, 3, batch_size=20, seed=6, resume=True, progress=False)
    done = gan.train_gan(fashion[:120], tiny_run.run_dir, 2, batch_size=20, seed=5, resume=True, progress=False)
    assert done.start_epoch == 2 and done.history == tiny_run.history  # nothing left to do
    with pytest.warns(UserWarning, match="trained on .* with a folder of new pictures"):
        gan.train_gan(fashion[:120], tiny_run.run_dir, 2, batch_size=20, seed=5, resume=True, progress=False,
                      description="a folder of new pictures")   # other data: said, not refused


def test_on_epoch_can_stop_a_run_that_resume_then_finishes(tmp_path, fashion):
    stopped = gan.train_gan(fashion[:40], tmp_path / "run", 3, batch_size=20, seed=2, progress=False,
                            on_epoch=lambda epoch, logs, grid: epoch < 1)
    assert stopped.interrupted and stopped.epochs_done == 1
    finished = gan.train_gan(fashion[:40], tmp_path / "run", 3, batch_size=20, seed=2, resume=True, progress=False)
    assert finished.start_epoch == 1 and finished.epochs_done == 3 and not finished.interrupted
    assert finished.history[0] == stopped.history[0]
    assert len(json.loads((tmp_path / "run" / "history.json").read_text())) == 3


def test_a_failed_checkpoint_write_keeps_the_last_good_one(tiny_run, monkeypatch, tmp_path):
    path = tiny_run.run_dir / "checkpoints" / "epoch_003.npz"

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "fsync", full_disk)   # the atomic write syncs before it renames
        with pytest.raises(DreamlibError, match="cannot write .*epoch_003.npz .*No space left"):
            gan.save_checkpoint(tiny_run.gan, path, 3, tiny_run.history, {})
    assert sorted(p.name for p in path.parent.iterdir()) == ["epoch_001.npz", "epoch_002.npz"]
    # a damaged newest file (say, a disk error) is skipped with a warning, not trusted
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.warns(UserWarning, match="epoch_003.npz is damaged"):
        found, saved = gan.latest_checkpoint(tiny_run.run_dir)
    path.unlink()
    assert found.name == "epoch_002.npz" and saved["epoch"] == 2 and saved["history"] == tiny_run.history


KILLER = textwrap.dedent("""
    import os, signal, sys
    from dreamlib import gan
    from dreamlib.cli import main

    where = sys.argv[1]
    if where == "mid-epoch":  # killed inside epoch 2, after its third batch
        batches = gan._Batches.epoch
        def epoch(self, index):
            for step, batch in enumerate(batches(self, index)):
                if index == 1 and step == 3:
                    os.kill(os.getpid(), signal.SIGKILL)
                yield batch
        gan._Batches.epoch = epoch
    else:  # killed while writing epoch 2's checkpoint, just before the rename
        replace = os.replace
        def killing_replace(src, dst):
            if str(dst).endswith("epoch_002.npz"):
                os.kill(os.getpid(), signal.SIGKILL)
            replace(src, dst)
        os.replace = killing_replace
    main(sys.argv[2:])
""")


def _final_state(run_dir):
    saved = gan.read_checkpoint(run_dir / "checkpoints" / "epoch_003.npz")
    history = [{k: v for k, v in h.items() if k != "seconds"} for h in saved.pop("history")]
    return saved, history


def test_killed_runs_resume_to_the_uninterrupted_result(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    killed = {where: subprocess.Popen([sys.executable, "-c", KILLER, where, "gan", "train", *TINY,
                                       "--out", str(tmp_path / where)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for where in ("mid-epoch", "mid-write")}
    assert main(["gan", "train", *TINY, "--out", str(tmp_path / "unbroken")]) == 0  # meanwhile
    expected, expected_history = _final_state(tmp_path / "unbroken")
    for where, process in killed.items():
        assert process.wait(timeout=120) == -9, f"the {where} run was not killed"
        checkpoints = sorted(p.name for p in (tmp_path / where / "checkpoints").iterdir())
        if where == "mid-write":  # the half-done checkpoint never took the real name
            assert checkpoints[0].startswith(".epoch_002.") and checkpoints[1:] == ["epoch_001.npz"]
        else:
            assert checkpoints == ["epoch_001.npz"]
        assert main(["gan", "train", *TINY, "--out", str(tmp_path / where), "--resume"]) == 0
        resumed, history = _final_state(tmp_path / where)
        assert history == expected_history and set(resumed) == set(expected)
        assert resumed.pop("config") == expected["config"] and resumed.pop("epoch") == 3
        for key, value in resumed.items():  # weights, optimizer slots, random-number states
            np.testing.assert_allclose(value, expected[key], rtol=1e-6, atol=1e-7, err_msg=key)
        assert sorted(p.name for p in (tmp_path / where / "checkpoints").iterdir()) == ["epoch_002.npz", "epoch_003.npz"]
        for epoch in range(4):
            name = f"grids/epoch_{epoch:03d}.png"
            assert np.array_equal(np.asarray(Image.open(tmp_path / where / name)),
                                  np.asarray(Image.open(tmp_path / "unbroken" / name))), name


def test_gan_sample_writes_a_grid_and_refuses_to_overwrite(tiny_run, tmp_path, capsys):
    out = tmp_path / "samples.png"
    assert main(["gan", "sample", str(tiny_run.run_dir), str(out), "--n", "16", "--seed", "3"]) == 0
    assert f"16 samples saved to {out}" in capsys.readouterr().out
    with Image.open(out) as pil:
        assert pil.size == (4 * 28 + 6, 4 * 28 + 6)
    assert main(["gan", "sample", str(tiny_run.run_dir), str(out)]) == 2
    assert "already exists" in one_line_error(capsys)
    assert np.array_equal(gan.sample(tiny_run.run_dir, 4, seed=3), gan.sample(tiny_run.run_dir, 4, seed=3))


@pytest.mark.parametrize("args, message", [
    (["{missing}", "{out}"], "no GAN run folder at"),
    (["{empty}", "{out}"], "not a GAN run folder"),
    (["{run}", "{out}", "--n", "0"], "number of samples must be a whole number from 1 to 400"),
])
def test_gan_sample_errors_are_one_line(tiny_run, tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    names = {"missing": tmp_path / "nowhere", "empty": tmp_path / "empty", "out": tmp_path / "s.png",
             "run": tiny_run.run_dir}
    assert main(["gan", "sample", *(a.format(**names) for a in args)]) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "s.png").exists()


def test_a_run_without_a_checkpoint_cannot_be_sampled(tiny_run, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text((tiny_run.run_dir / "config.json").read_text())
    with pytest.raises(DreamlibError, match="no checkpoint yet"):
        gan.load_generator(tmp_path / "run")


def _folder(tmp_path, kind):
    folder = tmp_path / kind
    folder.mkdir()
    if kind == "broken":
        (folder / "a.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    if kind == "few":
        for i in range(3):
            Image.new("RGB", (40, 30), (i * 80, 0, 0)).save(folder / f"{i}.png")
    return folder


@pytest.mark.parametrize("kind, extra, message", [
    ("missing", [], "no folder at"),
    ("empty", [], "no pictures in"),
    ("broken", [], "none of the 1 pictures"),
    ("few", [], "3 training pictures are fewer than one batch of 50"),
    ("few", ["--image-size", "30x30"], "no DCGAN for 30x30x3 pictures"),
    ("fashion", [], "no data set or folder called 'fashion'"),
    ("fashion_mnist", ["--gray"], "--image-size and --gray are for folders of pictures"),
])
def test_bad_data_gives_one_clear_error(tmp_path, capsys, kind, extra, message):
    source = kind if kind.startswith("fashion") else str(tmp_path / kind if kind == "missing" else _folder(tmp_path, kind))
    assert main(["gan", "train", "--data", source, "--out", str(tmp_path / "run"), "--epochs", "1", *extra]) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("offline", [True, False])
def test_gan_train_on_fashion_mnist_runs_on_a_bare_offline_machine(tmp_path, monkeypatch, capsys, offline):
    """No full set anywhere, no network: the bundled subset, said in one line (after one failed download
    unless DREAMLIB_OFFLINE=1, which never tries)."""
    import keras

    calls = []

    def no_network():
        calls.append("download")
        raise Exception("URL fetch failure: no network in this test")

    for env in ("DREAMLIB_FASHION_MNIST_DIR", data.BUNDLED_ONLY_ENV, "DREAMLIB_QUICK"):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("DREAMLIB_OFFLINE", "1" if offline else "0")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "DEBIAN_DIRS", {"fashion_mnist": tmp_path / "no-debian"})
    monkeypatch.setattr(data, "_said", set())
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", no_network)
    args = ["gan", "train", "--data", "fashion_mnist", "--limit", "100", "--batch-size", "50", "--epochs", "1"]
    assert main([*args, "--out", str(tmp_path / "run")]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("dreamlib: ")]
    assert "6,000-picture subset bundled with dreamlib" in said[0] and len(said) == 2
    assert "fashion_mnist train (100 pictures, bundled subset)" in said[1]
    assert calls == ([] if offline else ["download"])
    assert (tmp_path / "run" / "checkpoints" / "epoch_001.npz").is_file()


def _colour_folder(folder, count=8):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def test_a_folder_of_colour_pictures_trains_and_tf_datasets_work_too(tmp_path):
    folder = _colour_folder(tmp_path / "pictures")
    pictures, description = gan.training_pictures(folder, (32, 32), 3)
    assert isinstance(pictures, data.PictureFolder) and len(pictures) == 8 and "8 of 8 pictures" in description
    run = gan.train_gan(pictures, tmp_path / "run", 1, batch_size=4, progress=False)
    assert run.epochs_done == 1 and gan.load_generator(tmp_path / "run").output_shape == (None, 32, 32, 3)
    images = np.stack([np.asarray(Image.open(p).resize((32, 32))) for p in sorted(folder.iterdir())])
    run = gan.train_gan(data.array_dataset(images, batch_size=4), tmp_path / "run2", 1, progress=False)
    assert run.epochs_done == 1


def test_a_folder_streams_from_disk_and_resumes_exactly(tmp_path, monkeypatch):
    folder = _colour_folder(tmp_path / "pictures")
    loads = []
    real_load = data.load_training_picture
    monkeypatch.setattr(data, "load_training_picture", lambda *a, **k: loads.append(a[0]) or real_load(*a, **k))
    pictures, _ = gan.training_pictures(folder, (32, 32), 3)
    assert loads == []                                   # scanning reads no pixels: they stream per batch
    whole = gan.train_gan(pictures, tmp_path / "whole", 2, batch_size=4, seed=3, progress=False)
    assert len(loads) == 16                              # every picture read once per epoch, none kept
    gan.train_gan(pictures, tmp_path / "broken", 1, batch_size=4, seed=3, progress=False)
    resumed = gan.train_gan(pictures, tmp_path / "broken", 2, batch_size=4, seed=3, resume=True, progress=False)
    assert resumed.start_epoch == 1
    for a, b in zip(whole.gan.generator.weights, resumed.gan.generator.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


def test_make_dcgan_takes_a_generator_of_your_own():
    mine = gan.build_generator((28, 28, 1))
    model = gan.make_dcgan((28, 28, 1), seed=0, generator=mine)
    assert model.generator is mine and model.discriminator.output_shape == (None, 1)
    assert model.g_optimizer.built and model.d_optimizer.built


def test_the_step_makes_gs_pictures_once_yet_trains_exactly_like_the_lessons_two_calls(fashion):
    """DCGAN.train_step runs G once per step; the lesson's step (notebook 06) calls it twice: same state after."""
    import keras
    import tensorflow as tf

    real = data.to_gan_range(fashion[:8])[..., None]
    noises = [gan.fixed_noise(8, seed=s) for s in (1, 2)]
    library = gan.make_dcgan((28, 28, 1), seed=7)
    for noise in noises:
        library.train_step(real, noise)
    lesson = gan.make_dcgan((28, 28, 1), seed=7)
    generator, discriminator, bce = lesson.generator, lesson.discriminator, keras.losses.BinaryCrossentropy()
    for noise in noises:
        fake = generator(noise, training=True)
        with tf.GradientTape() as tape:
            p_real, p_fake = discriminator(real, training=True), discriminator(fake, training=True)
            d_loss = 0.5 * (bce(tf.ones_like(p_real), p_real) + bce(tf.zeros_like(p_fake), p_fake))
        weights = discriminator.trainable_weights
        lesson.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
        with tf.GradientTape() as tape:
            p_fooled = discriminator(generator(noise, training=True), training=True)
            g_loss = bce(tf.ones_like(p_fooled), p_fooled)
        weights = generator.trainable_weights
        lesson.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
    # every weight, BatchNorm running average (moved twice a step by the lesson's two G calls) and Adam slot
    for group in ("generator", "discriminator", "g_optimizer", "d_optimizer"):
        for mine, theirs in zip(gan._state_groups(library)[group], gan._state_groups(lesson)[group]):
            np.testing.assert_array_equal(mine.numpy(), theirs.numpy(), err_msg=f"{group} {mine.path}")


def test_the_training_step_falls_back_without_xla(monkeypatch):
    # where TensorFlow cannot compile the step with XLA, training goes on with the plain compiled step
    import tensorflow as tf

    from dreamlib import gan as gan_module

    made = gan_module.make_dcgan((28, 28, 1), seed=0)
    real = tf.random.uniform((8, 28, 28, 1), -1, 1, seed=1)
    def no_xla(fn):
        def fails(*args):
            raise tf.errors.UnimplementedError(None, None, "no XLA here")
        return fails

    monkeypatch.setattr(gan_module, "xla_function", no_xla)
    step = gan_module.compiled_step(made)
    logs = step(real)
    assert set(logs) >= {"d_loss", "g_loss"} and step.chosen[0].experimental_get_tracing_count() == 1
    step(real)
    assert step.chosen[0].experimental_get_tracing_count() == 1   # the plain step, kept


def test_the_training_step_is_compiled_with_xla_where_it_can_be():
    import tensorflow as tf

    from dreamlib import gan as gan_module

    step = gan_module.compiled_step(gan_module.make_dcgan((28, 28, 1), seed=0))
    step(tf.random.uniform((8, 28, 28, 1), -1, 1, seed=1))
    assert step.chosen[0]._jit_compile   # the XLA-compiled step ran

"""Tests on real ImageNet weights: the MobileNets bundled with dreamlib (or in the Keras cache)."""

import numpy as np
import pytest
import tensorflow as tf

from dreamlib import models
from dreamlib.cli import main
from dreamlib.ascent import LossGradient
from dreamlib.dream import Dreamer, DreamSettings
from dreamlib.images import load_image, resize_image
from dreamlib.objectives import channel
from dreamlib.render import dream_knobs, dream_loop
from tests.conftest import require_cached

pytestmark = pytest.mark.real_weights


@pytest.fixture(scope="module")
def classifier():
    require_cached("mobilenet", include_top=True)  # bundled with dreamlib, with the class index
    return models.load_backbone("mobilenet", include_top=True)


def test_decode_predictions_works_offline(classifier):
    names = models.class_names()
    assert len(names) == 1000 and names[281] == "tabby"
    top = models.classify(classifier, load_image("coffee"))
    assert top[0][0] == "espresso" and top[0][1] > 0.5


def test_the_cat_reads_as_a_cat(classifier):
    top = [name for name, _ in models.classify(classifier, load_image("chelsea"), top=3)]
    assert set(top) & {"tabby", "tiger_cat", "Egyptian_cat", "lynx"}


def test_dreaming_toward_a_class_raises_its_probability(classifier):
    tabby = 281
    size = classifier.spec.classifier_size
    img = resize_image(load_image("coffee"), (size, size))
    x = classifier.preprocess(img)

    def probability(x):
        return float(classifier.model(np.asarray(x)[None], training=False)[0, tabby])

    before = probability(x)
    lossgrad = LossGradient(classifier, channel("conv_preds", tabby))  # the class's logit
    run = dream_loop(lossgrad).run(tf.constant(x), 15, dream_knobs(x.shape[:2], 0.02, jitter=0))
    x, losses = run.params, run.losses
    after = probability(x)
    assert losses[-1] > losses[0]
    assert after > 10 * before and after > 0.2


def test_real_dream_is_not_marked_untrained():
    require_cached("mobilenet_v2")
    dreamer = Dreamer("mobilenet_v2")
    assert not dreamer.untrained
    cat = load_image("chelsea", max_size=160)
    result = dreamer.dream(cat, DreamSettings(steps=4, octaves=2), progress=False)
    assert result.record.weights == "imagenet" and not result.untrained
    assert result.record.losses[-1][-1] > result.record.losses[-1][0]
    assert np.array_equal(result.labelled_image(), result.image)  # no warning stamp


def test_the_quick_cli_dream_visibly_changes_the_cat(tmp_path):
    require_cached("mobilenet_v2")
    out = tmp_path / "quick.png"
    assert main(["dream", "chelsea", str(out), "--quick", "--model", "mobilenet_v2", "--seed", "0"]) == 0
    cat = load_image("chelsea", max_size=256)  # the quick size
    change = np.abs(load_image(out) - cat).mean()
    assert change >= 10, f"the quick dream moved the cat by only {change:.1f} grey levels: it looks unchanged"

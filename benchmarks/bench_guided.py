"""How far guided dreams move a picture toward their guide, against plain dreams (issue 4's figures).

For each case: the guide similarity (dreamlib.guided.guide_similarity, mean best-match cosine at the
guide layer) of the original, of a plain dream and of a guided dream with the same settings.
Run: KERAS_HOME=... python benchmarks/bench_guided.py [--steps 20 --octaves 3 --size 300]
Models whose ImageNet weights are not cached run with random weights and are marked so.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CASES = [  # (model, guide layer, image, guide)
    ("mobilenet_v2", "block_12_expand_relu", "clouds", "chelsea"),
    ("mobilenet_v2", "block_8_expand_relu", "clouds", "chelsea"),
    ("mobilenet_v2", "block_12_expand_relu", "coffee", "chelsea"),
    ("mobilenet_v2", "block_12_expand_relu", "clouds", "coffee"),
    ("resnet50", "conv4_block6_out", "clouds", "chelsea"),
]


def main():
    from dreamlib.dream import Dreamer, DreamSettings
    from dreamlib.guided import guided_objective, guide_similarity
    from dreamlib.images import load_image
    from dreamlib.models import load_backbone, weights_cached

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--octaves", type=int, default=3)
    parser.add_argument("--size", type=int, default=300)
    args = parser.parse_args()
    settings = DreamSettings(steps=args.steps, octaves=args.octaves, jitter=32, seed=0)
    print(f"{args.steps} steps x {args.octaves} octaves, longest side {args.size} px, jitter 32, seed 0")
    print("| model (weights) | layer | image -> guide | original | plain | guided | guided - plain | s |")
    print("|---|---|---|---|---|---|---|---|")
    backbones = {}
    for model, layer, image_name, guide_name in CASES:
        if model not in backbones:
            backbones[model] = load_backbone(model, weights="imagenet" if weights_cached(model) else None)
        backbone = backbones[model]
        image, guide = load_image(image_name, max_size=args.size), load_image(guide_name, max_size=224)
        start = time.perf_counter()
        scores = {"original": guide_similarity(backbone, image, guide, layer)}
        for name, objective in (("plain", {layer: 1.0}), ("guided", guided_objective(backbone, guide, layer))):
            dream = Dreamer(objective=objective, backbone=backbone).dream(image, settings, progress=False)
            scores[name] = guide_similarity(backbone, dream.image, guide, layer)
        print(f"| {model} ({backbone.weights_label}) | {layer} | {image_name} -> {guide_name} | "
              f"{scores['original']:.4f} | {scores['plain']:.4f} | {scores['guided']:.4f} | "
              f"{scores['guided'] - scores['plain']:+.4f} | {time.perf_counter() - start:.1f} |")


if __name__ == "__main__":
    main()

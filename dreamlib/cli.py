"""The ``dreamlib`` command line (also ``python -m dreamlib``).

    dreamlib dream INPUT OUTPUT [--model M] [--layers name:weight,...] [--steps N] ...
    dreamlib layers MODEL
    dreamlib weights                 # which weights are cached
    dreamlib weights import FOLDER   # copy weight files from a folder into the Keras cache

Bad input exits with status 2 and one line saying what is wrong and what to do.
"""

import argparse
import os
import sys
import warnings

from dreamlib.errors import DreamlibError

EXAMPLES = """examples:
  dreamlib dream chelsea dreams/chelsea.png --quick
  dreamlib dream photo.jpg out.png --model vgg19 --layers block2_pool:0.5,block5_pool:1.2
  dreamlib layers inception_v3
  dreamlib weights import /media/usb/keras-weights
"""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must not be negative")
    return value


def _number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"dreamlib: {message} (see `{self.prog} --help`)\n")


def build_parser():
    from dreamlib.models import available_models

    parser = _Parser(prog="dreamlib", description="DeepDream from the command line.",
                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    d = sub.add_parser("dream", help="dream on a picture and save the result",
                       description="Dream on INPUT (a file or a bundled sample: chelsea, coffee, "
                                   "astronaut, rocket) and write OUTPUT (.png or .jpg).")
    d.add_argument("input")
    d.add_argument("output")
    d.add_argument("--model", choices=available_models(),
                   help="backbone (default: inception_v3, or the best cached one when offline)")
    d.add_argument("--layers", help="layers and weights, e.g. mixed3:1.0,mixed5:1.5 (default: the model's)")
    d.add_argument("--objective", default="sum_of_squares", choices=["sum_of_squares", "mean", "l2"],
                   help="what each layer contributes (default: sum_of_squares)")
    d.add_argument("--steps", type=_positive_int, help="ascent steps per octave (default 20; quick 5)")
    d.add_argument("--step-size", type=_number, help="step size in network-input units (default: the model's, 0.01 for [-1, 1] inputs)")
    d.add_argument("--octaves", type=_positive_int, help="number of octaves (default 3; quick 2)")
    d.add_argument("--octave-scale", type=_number, help="size ratio between octaves (default 1.4)")
    d.add_argument("--tile-size", type=_positive_int, help="tile big images into tiles of this size (default 512; 0 = never)")
    d.add_argument("--jitter", type=_positive_int, help="max random roll in pixels (default: tile size when tiled, else 0)")
    d.add_argument("--normalize", choices=["mean_abs", "std", "l2"], help="gradient normalisation (default mean_abs)")
    d.add_argument("--max-loss", type=_number, help="stop an octave once the loss exceeds this")
    d.add_argument("--no-lost-detail", action="store_true", help="do not reinject detail lost by shrinking")
    d.add_argument("--max-size", type=_positive_int, default=None,
                   help="shrink the input so its longest side is at most this (default 500; quick 256)")
    d.add_argument("--seed", type=_positive_int, help="make the run repeatable")
    d.add_argument("--quick", action="store_true", help="small and fast settings (also DREAMLIB_QUICK=1)")
    d.add_argument("--random-weights", action="store_true",
                   help="use an UNTRAINED network (for testing only; the picture is stamped as such)")
    d.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")

    layers = sub.add_parser("layers", help="list a model's dreamable layers")
    layers.add_argument("model", choices=available_models())
    layers.add_argument("--all", action="store_true", help="list every layer, not only the dreamable ones")

    weights = sub.add_parser("weights", help="show cached weights, or import them from a folder")
    wsub = weights.add_subparsers(dest="weights_command", metavar="ACTION", parser_class=_Parser)
    imp = wsub.add_parser("import", help="copy Keras weight files from FOLDER into the cache, checking them")
    imp.add_argument("folder")
    return parser


def _say(message):
    print(message, file=sys.stderr)


def choose_model(requested, random_weights):
    """The model to dream with: the one asked for, or the best cached one when the default can't load."""
    from dreamlib import models

    if requested or random_weights:
        return requested or models.DEFAULT_MODEL
    default = models.DEFAULT_MODEL
    if models.weights_cached(default):
        return default
    try:
        models.fetch_weights_file(models.get_spec(default).notop, what=default)
        return default
    except DreamlibError as missing:
        fallback = models.best_cached_model()
        if fallback is None:
            raise missing
        _say(f"dreamlib: {default} weights are not available offline; using {fallback}, "
             f"whose weights are cached (pass --model to choose)")
        return fallback


def cmd_dream(args):
    from dreamlib import images, settings

    quick = args.quick or settings.is_quick()
    source = images.resolve_image_source(args.input)
    output = os.path.abspath(os.path.expanduser(args.output))
    if os.path.exists(output) and os.path.samefile(output, source):
        raise DreamlibError(f"refusing to overwrite the input picture {args.output}: choose another output name")
    if os.path.exists(output) and not args.overwrite:
        raise DreamlibError(f"{args.output} already exists: choose another name or pass --overwrite")
    image = images.load_image(source, max_size=args.max_size or (256 if quick else 500))
    # TensorFlow loads only now, after the cheap checks of the input and output
    from dreamlib.dream import DreamSettings, Dreamer, default_objective
    from dreamlib.objectives import parse_layer_weights

    model = choose_model(args.model, args.random_weights)
    layers = parse_layer_weights(args.layers) if args.layers else None
    overrides = {key: value for key, value in {
        "steps": args.steps, "step_size": args.step_size, "octaves": args.octaves,
        "octave_scale": args.octave_scale, "tile_size": args.tile_size, "jitter": args.jitter,
        "normalize": args.normalize, "max_loss": args.max_loss, "seed": args.seed,
    }.items() if value is not None}
    if args.no_lost_detail:
        overrides["lost_detail"] = False
    dream_settings = DreamSettings.quick(**overrides) if quick else DreamSettings(**overrides)
    dream_settings.check()
    if args.seed is not None:
        import keras

        keras.utils.set_random_seed(args.seed)
    if args.random_weights:
        _say("dreamlib: WARNING: --random-weights: the network is UNTRAINED; the picture is not a real dream")
    objective = default_objective(model, layers, args.objective)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dreamer = Dreamer(model, objective, weights=None if args.random_weights else "imagenet")
    _say(f"dreamlib: dreaming on {source.name} ({image.shape[1]}x{image.shape[0]}) with {model}, "
         f"{dreamer.objective.description}")
    result = dreamer.dream(image, dream_settings, progress=True)
    if result.record.interrupted:
        _say("dreamlib: interrupted: saving the picture made so far")
    path = result.save(output, overwrite=args.overwrite, protect=[source])
    steps = sum(len(losses) for losses in result.record.losses)
    print(f"Dream saved to {path} ({steps} steps in {result.record.seconds:.1f} s, model {model}, "
          f"weights {result.record.weights})")
    return 0


def cmd_layers(args):
    from dreamlib import models

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backbone = models.load_backbone(args.model, weights=None)  # shapes do not need weights
    spec = backbone.spec
    rows = ([(layer.name, tuple(layer.output.shape)) for layer in backbone.model.layers]
            if args.all else models.dreamable_layers(backbone))
    print(f"{spec.title}: {len(rows)} {'layers' if args.all else 'dreamable layers'} "
          f"(minimum input {spec.min_size} px; default {','.join(f'{k}:{v}' for k, v in spec.default_layers.items())})")
    for name, shape in rows:
        shape_text = "x".join("?" if v is None else str(v) for v in shape[1:])
        print(f"  {name:<28} {shape_text}")
    return 0


def cmd_weights(args):
    from dreamlib import models

    if args.weights_command == "import":
        imported, skipped = models.import_weights(args.folder)
        for name in imported:
            print(f"imported  {name}")
        for name, reason in skipped:
            print(f"skipped   {name}: {reason}")
        print(f"{len(imported)} file(s) imported into {models.cache_dir()}")
        if not imported:
            raise DreamlibError(f"no usable weight files in {args.folder}: it should hold Keras .h5 files "
                                f"such as {models.get_spec('inception_v3').notop.name}")
        return 0
    print(f"Keras weights cache: {models.cache_dir()}")
    for model, top, name, path in models.weights_status():
        state = f"cached ({path.stat().st_size / 1e6:.1f} MB)" if path else "missing"
        print(f"  {model:<13} {'classifier' if top else 'features  '}  {state:<20} {name}")
    return 0


def main(argv=None):
    """Entry point: run a subcommand, turning every DreamlibError into one line and exit status 2."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handlers = {"dream": cmd_dream, "layers": cmd_layers, "weights": cmd_weights}
    try:
        return handlers[args.command](args)
    except DreamlibError as e:
        _say(f"dreamlib: error: {e}")
        return 2
    except KeyboardInterrupt:
        _say("dreamlib: stopped")
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The ``dreamlib`` command line (also ``python -m dreamlib``).

    dreamlib dream INPUT OUTPUT [--model M] [--layers name:weight,...] [--steps N] ...
    dreamlib guided INPUT GUIDE OUTPUT [--guide-layer L] [same options as dream]
    dreamlib zoom INPUT OUTPUT --frames N --zoom F [same options as dream]
    dreamlib gan train --data fashion_mnist|DIR --epochs N --out RUN_DIR [--resume]
    dreamlib gan sample RUN_DIR OUTPUT [--n 25]
    dreamlib layers MODEL
    dreamlib channels INPUT [--model M] [--layer L] [--count K] [--weakest]   # a layer's strongest channels
    dreamlib weights [list] [--missing] [--all]   # the course's weight files (cached, bundled, missing) and data
    dreamlib weights fetch [--to FOLDER]          # download them all (and copy them to FOLDER)
    dreamlib weights import FOLDER                # copy weight files from a folder into the Keras cache

The dream options come from ``dreamlib.knobs`` (one description of every knob); ``--settings``
replays a saved dream. Bad input exits with status 2 and one line saying what is wrong and what to
do; TensorFlow's own log lines are hidden unless ``--verbose``.
"""

import argparse
import os
import signal
import sys
import warnings

from dreamlib.errors import DreamlibError

EXAMPLES = """examples:
  dreamlib dream chelsea dreams/chelsea.png --quick
  dreamlib dream photo.jpg out.png --model vgg19 --layers block2_pool:0.5,block5_pool:1.2
  dreamlib guided clouds chelsea dreams/cat_clouds.png --model resnet50
  dreamlib zoom chelsea dreams/zoom.gif --frames 30 --zoom 1.05
  dreamlib gan train --data fashion_mnist --epochs 5 --out runs/fashion
  dreamlib layers inception_v3
  dreamlib channels chelsea --model mobilenet_v2 --layer block_12_expand_relu --count 5
  dreamlib dream chelsea out.png --model mobilenet_v2 --layers block_12_expand_relu --channels strongest:5
  dreamlib weights fetch --to /media/usb/keras-weights   # on a connected machine
  dreamlib weights import /media/usb/keras-weights       # on each machine of an offline room
"""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must not be negative")
    return value


def _reader(knob):
    """argparse's ``type`` for a knob: the text read as the knob's type, then checked by the knob."""
    def read(text):
        try:
            value = {int: int, float: float}.get(knob.type, str)(text)
        except ValueError:
            kind = "a whole number" if knob.type is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        try:
            return knob.check(value)
        except DreamlibError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    read.__name__ = knob.name
    return read


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"dreamlib: {message} (see `{self.prog} --help`)\n")


def add_dream_options(parser, default_model="inception_v3"):
    """The options every dreaming command shares (dream, guided, zoom), one per knob of dreamlib.knobs."""
    from dreamlib import knobs
    from dreamlib.models import available_models

    parser.set_defaults(default_model=default_model)
    for knob in knobs.SETTINGS + knobs.RUN:
        text = knob.describe()
        if knob.name == "model":
            text = text.replace("inception_v3", default_model)
        if knob.type is bool:
            parser.add_argument(knob.option, dest=knob.name, action="store_const", const=not knob.default,
                                help=f"{'do not ' if knob.default else ''}{knob.help}")
        elif knob.name == "model":
            parser.add_argument(knob.option, dest=knob.name, choices=available_models(), help=text)
        else:
            parser.add_argument(knob.option, dest=knob.name, type=_reader(knob),
                                metavar=knob.metavar if not knob.choices else None,
                                choices=knob.choices or None, help=text)
    parser.add_argument("--settings", metavar="SAVED", dest="saved",
                        help="replay a saved dream: a PNG made by dreamlib or the explorer's .json "
                             "(options given here win)")
    parser.add_argument("--quick", action="store_true", help="small and fast settings (also DREAMLIB_QUICK=1)")
    parser.add_argument("--random-weights", action="store_true",
                        help="use an UNTRAINED network (for testing only; the picture is stamped as such)")
    parser.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")


def build_parser():
    from dreamlib.models import available_models

    parser = _Parser(prog="dreamlib", description="DeepDream from the command line.",
                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    d = sub.add_parser("dream", help="dream on a picture and save the result",
                       description="Dream on INPUT (a file or a bundled sample: chelsea, coffee, "
                                   "astronaut, rocket, clouds) and write OUTPUT (.png or .jpg).")
    d.add_argument("input")
    d.add_argument("output")
    add_dream_options(d)

    g = sub.add_parser("guided", help="dream toward the features of a guide picture (article C)",
                       description="Dream on INPUT so that it grows what the network sees in GUIDE "
                                   "(files or bundled samples), and write OUTPUT.")
    g.add_argument("input")
    g.add_argument("guide")
    g.add_argument("output")
    g.add_argument("--guide-layer", help="layer whose features are matched (default: the model's guide layer, e.g. block_15_expand_relu for mobilenet_v2)")
    g.add_argument("--guide-size", type=_positive_int, default=224,
                        help="longest side the guide is shrunk to before its features are taken (default 224)")
    add_dream_options(g, default_model="resnet50")

    add_zoom_parser(sub)
    add_gan_parsers(sub)

    layers = sub.add_parser("layers", help="list a model's dreamable layers")
    layers.add_argument("model", choices=available_models())
    layers.add_argument("--all", action="store_true", help="list every layer, not only the dreamable ones")

    ch = sub.add_parser("channels", help="list the channels of a layer a picture excites most (or least)",
                        description="Rank the channels of one layer by their mean activation on INPUT (a file "
                                    "or a bundled sample), to dream with some of them (--channels).")
    ch.add_argument("input")
    ch.add_argument("--model", choices=available_models(),
                    help="the network (default: inception_v3, or the best one at hand)")
    ch.add_argument("--layer", help="the layer (default: the model's deepest default dream layer)")
    ch.add_argument("--count", type=_positive_int, default=10, help="how many channels to list (default 10)")
    ch.add_argument("--weakest", action="store_true",
                    help="the weakest channels that still respond, instead of the strongest")
    ch.add_argument("--max-size", type=_positive_int, default=512,
                    help="shrink the picture to at most this many pixels a side first (default 512)")
    ch.add_argument("--random-weights", action="store_true",
                    help="use an UNTRAINED network (for testing only)")

    weights = sub.add_parser("weights", help="list, fetch or import the pretrained weights the course needs (and see its data)")
    wsub = weights.add_subparsers(dest="weights_command", metavar="ACTION", parser_class=_Parser)
    listing = wsub.add_parser("list", help="the course's weight files, its data sets and their state (the default action)")
    listing.add_argument("--missing", action="store_true",
                         help="only the missing files, one 'NAME URL' line each (works offline)")
    listing.add_argument("--all", action="store_true", help="every weights file dreamlib knows, not only the course's")
    fetch = wsub.add_parser("fetch", help="download every file the course needs into the Keras cache",
                            description="Download every weights file the course needs into the Keras cache "
                                        "(those bundled with dreamlib are copied from it), and with --to "
                                        "also copy them into FOLDER, e.g. a USB stick for `dreamlib weights import`.")
    fetch.add_argument("--to", metavar="FOLDER", help="also copy the files into FOLDER")
    imp = wsub.add_parser("import", help="copy Keras weight files from FOLDER into the cache, checking them")
    imp.add_argument("folder")
    _add_verbose(parser)
    return parser


def _add_verbose(parser):
    """``--verbose`` on every command: show TensorFlow's own log lines (hidden by default)."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for action in subparsers:
        for child in dict.fromkeys(action.choices.values()):
            _add_verbose(child)
    if parser.prog != "dreamlib":
        parser.add_argument("--verbose", action="store_true", help="show TensorFlow's own log lines")


def _say(message):
    print(message, file=sys.stderr)


def check_output(output, *inputs, overwrite=False, picture=True):
    """The absolute output path, checked before any dreaming: not an input, not an existing file
    (without --overwrite), not a folder, a picture format (``picture``), in a folder that takes files."""
    from dreamlib import files, images

    path = os.path.abspath(os.path.expanduser(output))
    if picture and not os.path.isdir(path) and os.path.splitext(path)[1].lower() not in images.SAVE_FORMATS:
        raise DreamlibError(f"cannot save {os.path.basename(path)}: end the name with one of "
                            f"{', '.join(sorted(images.SAVE_FORMATS))}")
    files.check_writable(path, overwrite=overwrite, protect=inputs)
    return path


def chosen_knobs(args, quick, **command_defaults):
    """Every knob's value for this run: the option given, else the --settings file's, else the default.

    Defaults are the quick ones under --quick; ``command_defaults`` (zoom's one octave per frame)
    replace the library's. Everything is checked here, before TensorFlow starts.
    """
    from dreamlib import knobs

    saved = knobs.read_saved(args.saved) if args.saved else {}
    values = {**knobs.defaults(quick=quick), **command_defaults, **saved}
    values.update({name: getattr(args, name) for name in knobs.KNOBS if getattr(args, name) is not None})
    if values["model"] is not None:
        from dreamlib.models import available_models

        if values["model"] not in available_models():
            raise DreamlibError(f"unknown model {values['model']!r}: choose one of {', '.join(available_models())}")
    if values["layers"] is not None:
        knobs.parse_layer_weights(values["layers"])  # a typo is found before TensorFlow starts
    return values


def dream_settings_from(values):
    """The ``DreamSettings`` part of a run's knob values."""
    from dreamlib import knobs
    from dreamlib.dream import DreamSettings

    return DreamSettings(**{k.name: values[k.name] for k in knobs.SETTINGS})


def make_dreamer(args, values, objective_for=None, picture=None):
    """``dream.build_dreamer`` with this run's knobs: the model named (or the default, said when it
    falls back), random weights only with --random-weights, the seed, and the channels (the
    strongest or weakest ranked on ``picture``)."""
    from dreamlib.dream import build_dreamer

    if args.random_weights:
        _say("dreamlib: WARNING: --random-weights: the network is UNTRAINED; the picture is not a real dream")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_dreamer(values["model"], values["layers"], values["objective"], values["border"],
                             default=args.default_model,
                             weights=None if args.random_weights else "imagenet", allow_random=False,
                             seed=values["seed"], objective_for=objective_for,
                             channels=None if objective_for else values["channels"], picture=picture,
                             say=lambda note: _say(f"dreamlib: {note} (pass --model to choose)"))


def load_input(name, max_size):
    """Resolve and load one input picture (a file or a bundled sample): its own size up to a limit,
    or shrunk to ``max_size``."""
    from dreamlib import images, knobs

    source = images.resolve_image_source(name)
    image = images.load_image(source, max_size=max_size)
    height, width = image.shape[:2]
    if max_size is None and max(height, width) > knobs.FULL_SIZE_LIMIT:
        raise DreamlibError(f"{source.name} is {width}x{height} px, more than the {knobs.FULL_SIZE_LIMIT} px "
                            f"dreamlib dreams at without being asked: pass --max-size {knobs.FULL_SIZE_LIMIT} "
                            f"to shrink it, or --max-size {max(height, width)} to dream at full size (slow)")
    return source, image


def run_dream(dreamer, image, source, output, dream_settings, args, max_size):
    """Dream with a progress bar (and its time estimate), save atomically, and say where the picture went."""
    from dreamlib.tiles import needs_tiles, tile_slices

    size, _ = dreamer.tiles_for(image.shape[:2], dreamer.settings_for(image, dream_settings))
    tiles = len(tile_slices(image.shape[:2], size)) if needs_tiles(image.shape[:2], size) else 1
    _say(f"dreamlib: dreaming on {source.name} ({image.shape[1]}x{image.shape[0]}"
         f"{f', {tiles} tiles' if tiles > 1 else ''}) with {dreamer.backbone.name}, {dreamer.objective.description}")
    result = dreamer.dream(image, dream_settings, progress=True)
    result.record.max_size = max_size  # the record replays the run (--settings OUT.png)
    steps = sum(len(losses) for losses in result.record.losses)
    if result.record.interrupted:  # kept, but never under the name of a finished dream
        path = result.save(interrupted_name(output), protect=[source])
        _say(f"dreamlib: interrupted after {steps} step{'s' if steps != 1 else ''}: the unfinished picture "
             f"is in {path}")
        return 130
    path = result.save(output, overwrite=args.overwrite, protect=[source])
    print(f"Dream saved to {path} ({image.shape[1]}x{image.shape[0]}, {steps} step{'s' if steps != 1 else ''} in "
          f"{result.record.seconds:.1f} s, model {dreamer.backbone.name}, weights {result.record.weights})")
    return 0


def interrupted_name(output):
    """Where an interrupted run keeps what it made: ``out.interrupted.png`` (or ``_2``, ``_3``... if taken)."""
    root, suffix = os.path.splitext(output)
    number = 1
    while True:
        candidate = f"{root}.interrupted{'' if number == 1 else f'_{number}'}{suffix}"
        if not os.path.lexists(candidate):
            return candidate
        number += 1


def cmd_dream(args):
    from dreamlib import settings

    values = chosen_knobs(args, args.quick or settings.is_quick())
    source, image = load_input(args.input, values["max_size"])
    output = check_output(args.output, source, overwrite=args.overwrite)
    dream_settings = dream_settings_from(values)  # TensorFlow loads here, after the cheap checks
    dreamer = make_dreamer(args, values, picture=image)
    return run_dream(dreamer, image, source, output, dream_settings, args, values["max_size"])


def cmd_guided(args):
    from dreamlib import images, knobs, settings

    layer_options = [k.option for k in map(knobs.knob, ("layers", "objective", "border", "channels"))
                     if getattr(args, k.name) is not None]
    if layer_options:  # these make the layer objective, which the guide replaces
        raise DreamlibError(f"guided dreams match one layer: use --guide-layer NAME instead of {layer_options[0]}")
    if args.guide_size < 1:
        raise DreamlibError(f"--guide-size is the guide's longest side in pixels, such as 224; got {args.guide_size}")
    values = chosen_knobs(args, args.quick or settings.is_quick())
    source, image = load_input(args.input, values["max_size"])
    guide_source = images.resolve_image_source(args.guide)
    output = check_output(args.output, source, guide_source, overwrite=args.overwrite)
    guide = images.load_image(guide_source)  # guided_objective shrinks it to --guide-size
    dream_settings = dream_settings_from(values)
    from dreamlib.guided import guided_objective

    dreamer = make_dreamer(args, values, lambda backbone: guided_objective(backbone, guide, args.guide_layer,
                                                                           args.guide_size))
    return run_dream(dreamer, image, source, output, dream_settings, args, values["max_size"])


def add_zoom_parser(sub):
    """``dreamlib zoom``: the infinite-zoom animation (dreamlib.zoom); --frames, --zoom, --fps from dreamlib.knobs."""
    from dreamlib import knobs

    z = sub.add_parser("zoom", help="dream, zoom in a little, dream again: an animated GIF or MP4",
                       description="Make an infinite-zoom animation of INPUT (a file or a bundled sample): "
                                   "each frame is a short dream on the previous frame enlarged about its "
                                   "centre by --zoom. OUTPUT ends in .gif, or .mp4 when imageio-ffmpeg is "
                                   "installed. Per frame the defaults are 1 octave of 10 steps (quick: 5).")
    z.add_argument("input")
    z.add_argument("output")
    for knob in knobs.ZOOM:
        z.add_argument(knob.option, dest=knob.name, type=_reader(knob), metavar=knob.metavar, help=knob.describe())
    add_dream_options(z)


def cmd_zoom(args):
    from dreamlib import images, knobs, settings, zoom

    quick = args.quick or settings.is_quick()
    # the options given, else the defaults (the quick ones under --quick); checked as they were read
    frames, zoom_factor, fps = (getattr(args, k.name) if getattr(args, k.name) is not None
                                else k.quick_value() if quick else k.default for k in knobs.ZOOM)
    # one octave of a few steps per frame unless asked: each frame continues the last one's dream
    values = chosen_knobs(args, quick, **zoom.FRAME_KNOBS["quick" if quick else "full"])
    source, image = load_input(args.input, values["max_size"])
    images.check_animation_path(args.output)
    output = check_output(args.output, source, overwrite=args.overwrite, picture=False)
    dream_settings = dream_settings_from(values)  # TensorFlow loads here, after the cheap checks
    dreamer = make_dreamer(args, values, picture=image)
    _say(f"dreamlib: {frames} zoom frames of {source.name} ({image.shape[1]}x{image.shape[0]}), x{zoom_factor:g} "
         f"per frame, with {dreamer.backbone.name}, {dreamer.objective.description}")
    made = zoom.zoom_frames(dreamer, image, frames, zoom_factor, dream_settings, progress=True)
    if not made:
        raise DreamlibError("stopped before the first frame was made: nothing to save")
    if len(made) < frames:  # kept, but never under the name of a finished animation
        path = images.save_animation(made, interrupted_name(output), fps=fps, protect=[source])
        _say(f"dreamlib: interrupted after {len(made)} of {frames} frames: the unfinished animation is in {path}")
        return 130
    path = images.save_animation(made, output, fps=fps, overwrite=args.overwrite, protect=[source])
    seconds = sum(result.record.seconds for result in made)
    print(f"Zoom animation saved to {path} ({len(made)} frames, {image.shape[1]}x{image.shape[0]}, "
          f"{fps:g} fps, {seconds:.1f} s of dreaming, model {dreamer.backbone.name}, "
          f"weights {made[0].record.weights})")
    return 0


def add_gan_parsers(sub):
    """``dreamlib gan train`` and ``dreamlib gan sample`` (dreamlib.gan)."""
    gan = sub.add_parser("gan", help="train a DCGAN (article E) or draw pictures from one",
                         description="Train a DCGAN on Fashion-MNIST or a folder of your pictures, "
                                     "or draw new pictures from a trained run.")
    gsub = gan.add_subparsers(dest="gan_command", metavar="ACTION", parser_class=_Parser, required=True)
    t = gsub.add_parser("train", help="train (or --resume) a DCGAN, saving a sample grid and a checkpoint every epoch",
                        description="Train a DCGAN into RUN_DIR: config.json, history.json, grids/, "
                                    "checkpoints/ and training.gif. Stop it any time: --resume "
                                    "continues from the last checkpoint with the same result.")
    t.add_argument("--data", required=True, metavar="fashion_mnist|mnist|DIR",
                   help="a data set name or a folder of your pictures (searched recursively)")
    t.add_argument("--out", required=True, metavar="RUN_DIR", help="folder for the run's files")
    t.add_argument("--epochs", type=_positive_int, help="epochs in all, counting resumed ones (default 20; quick 2)")
    t.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR from its last checkpoint")
    t.add_argument("--seed", type=_positive_int, default=0, help="weights, noise and data order (default 0)")
    t.add_argument("--batch-size", type=_positive_int, help="pictures per step (default 50, article E's)")
    t.add_argument("--limit", type=_positive_int, help="train on the first N pictures only (quick: 2000; folders 500)")
    t.add_argument("--image-size", default=None, metavar="HxW",
                   help="size folder pictures are cropped and resized to (default 64x64; quick 32x32)")
    t.add_argument("--gray", action="store_true", help="train on folder pictures in gray (1 channel)")
    t.add_argument("--quick", action="store_true", help="a small, fast run (also DREAMLIB_QUICK=1)")
    s = gsub.add_parser("sample", help="write a grid of new pictures from a trained run",
                        description="Draw N new pictures from RUN_DIR's last checkpoint and save them "
                                    "as one grid picture OUTPUT (.png or .jpg).")
    s.add_argument("run_dir", metavar="RUN_DIR")
    s.add_argument("output", metavar="OUTPUT")
    s.add_argument("--n", type=_positive_int, default=25, help="number of pictures (default 25, up to 400)")
    s.add_argument("--seed", type=_positive_int, help="the same seed draws the same pictures")
    s.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")


def cmd_gan(args):
    from dreamlib import settings

    if args.gan_command == "sample":
        output = check_output(args.output, overwrite=args.overwrite)
        from dreamlib import gan
        from dreamlib.images import save_image

        grid = gan.sample(args.run_dir, n=args.n, seed=args.seed)
        path = save_image(grid, output, overwrite=args.overwrite)
        print(f"{args.n} samples saved to {path}")
        return 0

    from dreamlib import data

    quick = args.quick or settings.is_quick()
    named = args.data in data.KINDS
    if named and (args.image_size or args.gray):
        raise DreamlibError(f"--image-size and --gray are for folders of pictures: {args.data} is 28x28 gray")
    if not named:
        data.check_folder(args.data)
    # TensorFlow loads only now, after the cheap checks
    from dreamlib import gan

    size = gan.parse_image_size(args.image_size or ("32x32" if quick else "64x64"))
    limit = args.limit if args.limit is not None else (2000 if named else 500) if quick else None
    # a quick run makes do with the bundled Fashion-MNIST subset when the full set is not here;
    # a full one first tries Keras's download (not with DREAMLIB_OFFLINE=1)
    pictures, description = gan.training_pictures(args.data, size, 1 if args.gray else 3, limit, args.seed,
                                                  download=not quick, say=_say)
    epochs = args.epochs if args.epochs is not None else (2 if quick else 20)
    _say(f"dreamlib: training a DCGAN on {description}, {epochs} epoch{'s' if epochs != 1 else ''}, into {args.out}")
    for path, reason in getattr(pictures, "skipped", [])[:5]:
        _say(f"dreamlib: skipped {path}: {reason}")

    def report(epoch, logs, grid):
        print(f"epoch {epoch}/{epochs} [D loss {logs['d_loss']:.3f}, acc {100 * logs['d_acc']:.1f}%] "
              f"[G loss {logs['g_loss']:.3f}] {logs['seconds']:.1f} s", flush=True)

    run = gan.train_gan(pictures, args.out, epochs, seed=args.seed, resume=args.resume, on_epoch=report,
                        batch_size=gan.BATCH_SIZE if args.batch_size is None else args.batch_size,
                        description=description)
    if run.start_epoch >= epochs:
        print(f"{args.out} already has {run.start_epoch} epochs: ask for more with --epochs")
    gif = gan.training_gif(args.out, os.path.join(args.out, "training.gif"), overwrite=True)
    if run.interrupted:
        _say(f"dreamlib: interrupted after {run.epochs_done} epochs: continue with --resume")
        return 130
    print(f"Trained {run.epochs_done} epoch{'s' if run.epochs_done != 1 else ''} into {args.out} (grids in {os.path.join(args.out, 'grids')}, "
          f"animation {gif}); draw pictures with `dreamlib gan sample {args.out} samples.png`")
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


def cmd_channels(args):
    from dreamlib import models
    from dreamlib.channels import channel_count, rank_channels
    from dreamlib.dream import choose_model

    source, image = load_input(args.input, args.max_size)
    weights = None if args.random_weights else "imagenet"
    name = choose_model(args.model, weights, say=lambda note: _say(f"dreamlib: {note} (pass --model to choose)"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backbone = models.load_backbone(name, weights=weights, allow_random=False)
    layer = args.layer or list(backbone.spec.default_layers)[-1]
    if args.count < 1:
        raise DreamlibError(f"--count is how many channels to list, such as 10; got {args.count}")
    total = channel_count(backbone, layer)  # an unknown layer is named with the fix
    ranked = rank_channels(backbone, layer, image, args.count, weakest=args.weakest)
    which = "weakest responding" if args.weakest else "strongest"
    untrained = " (UNTRAINED network: random weights)" if backbone.untrained else ""
    print(f"The {len(ranked)} {which} of {total} channels of {layer} ({backbone.name}{untrained}) on "
          f"{source.name} ({image.shape[1]}x{image.shape[0]}):")
    print("  rank  channel  mean activation")
    for rank, (index, mean) in enumerate(ranked, 1):
        print(f"  {rank:>4}  {index:>7}  {mean:>15.4f}")
    if ranked:
        chosen = ",".join(str(index) for index, _ in ranked)
        print(f"Dream with them: dreamlib dream {args.input} OUT.png --model {backbone.name} --layers {layer} "
              f"--channels {chosen}")
    return 0


def cmd_weights(args):
    from dreamlib import course, models

    if args.weights_command == "import":
        imported, skipped = models.import_weights(args.folder)
        for name in imported:
            print(f"imported  {name}")
        for name, reason in skipped:
            print(f"skipped   {name}: {reason}")
        print(f"{len(imported)} file(s) imported into {models.cache_dir()}")
        refused = [reason for name, reason in skipped if name in models.known_weight_files()]
        if not imported and refused:  # the one fix that matters: what was wrong with the file given
            raise DreamlibError(f"nothing imported: {refused[0]}")
        if not imported:
            raise DreamlibError(f"no usable weight files in {args.folder}: it should hold Keras .h5 files "
                                f"such as {models.get_spec('inception_v3').notop.name}")
        return 0
    if args.weights_command == "fetch":
        done, failed = course.fetch_course_files(args.to)
        for name, what in done:
            print(f"ok        {name}: {what}")
        for name, why in failed:
            print(f"failed    {name}: {why}")
        if failed:
            raise DreamlibError(f"{len(failed)} of {len(done) + len(failed)} file(s) could not be fetched: "
                                f"connect to the internet and run `dreamlib weights fetch` again")
        print(f"all {len(done)} files the course needs are in {models.cache_dir()}"
              + (f" and {args.to}" if args.to else ""))
        return 0
    return list_weights(missing_only=getattr(args, "missing", False), every_file=getattr(args, "all", False))


def list_weights(missing_only=False, every_file=False):
    """``dreamlib weights [list]``: the course's files (or every known one), their state, who needs
    them; the data sets (the full set, or only the subset bundled with dreamlib); each notebook's verdict."""
    from dreamlib import course, data, models

    needed = course.course_files()
    files = models.known_weight_files() if every_file else {name: wf for name, (wf, _) in needed.items()}
    if missing_only:  # plain 'NAME URL' lines: a list to download by any means
        for name, wf in files.items():
            if models.weights_state(wf) == "missing":
                print(f"{name} {wf.origin}")
        return 0
    print(f"Keras weights cache: {models.cache_dir()}")
    width = max(len(name) for name in files)
    for name, wf in files.items():
        state = models.weights_state(wf)
        size = (models.cache_dir() / name).stat().st_size if state == "cached" else None
        size = "" if size is None else f"{size / 1e6:.1f} MB" if size > 1e5 else f"{size / 1e3:.0f} kB"
        users = ", ".join(nb[:2] for nb in needed.get(name, (None, []))[1]) or "-"
        print(f"  {state:<8} {size:>8}  {name:<{width}}  notebooks {users}")
    print(f"Data sets (Keras keeps downloaded ones in {data.keras_datasets_dir()}):")
    for kind, users in course.data_users().items():
        found = course.data_state(kind)
        where = found.where if found.state != "missing" else found.note
        print(f"  {found.state:<8} {kind:<15} {where}  notebooks {', '.join(nb[:2] for nb in users)}")
    print("Notebooks:")
    for notebook in course.readiness():
        print(f"  {notebook.notebook:<28} {notebook.verdict}")
    return 0


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    """Entry point: run a subcommand, turning every DreamlibError into one line and exit status 2."""
    from contextlib import nullcontext

    from dreamlib import settings as switches
    from dreamlib.quiet import filtered_stderr

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handlers = {"dream": cmd_dream, "guided": cmd_guided, "zoom": cmd_zoom, "gan": cmd_gan,
                "layers": cmd_layers, "channels": cmd_channels, "weights": cmd_weights}
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)  # a kill cleans up as Ctrl-C does
    try:
        # TensorFlow's C++ start-up lines are dropped unless --verbose
        with nullcontext() if getattr(args, "verbose", False) else filtered_stderr():
            switches.check_switches()
            return handlers[args.command](args)
    except DreamlibError as e:
        _say(f"dreamlib: error: {e}")
        return 2
    except KeyboardInterrupt:
        _say("dreamlib: stopped")
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())

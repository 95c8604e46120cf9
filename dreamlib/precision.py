"""Mixed precision: the network's arithmetic in 16-bit floats, everything else in float32.

A dream's cost is the network's forward and backward pass. With ``precision="mixed"`` those run
in bfloat16 on a CPU (float16 on a GPU), while the loss, the gradient handed to the loop, its
normalisation and the step stay in float32, so the picture is float32 throughout. The dream is a
different but equally good one: on real MobileNetV2 it differs from the float32 dream with the
same seed by less than two float32 dreams with different seeds do (``tests/test_precision.py``).

It can pay only on hardware with 16-bit arithmetic: GPUs with tensor cores, CPUs with AVX512-BF16
or AMX (and there on big networks: issue 21 measured 1.35-1.85x on InceptionV3, 0.5x on MobileNetV2).
Elsewhere bfloat16 is emulated and much slower: 2.2-3.5x as long per step on MobileNetV2, 11-13x on
InceptionV3 on this course's AVX2 CPU (``benchmarks/bench_precision.py``). ``helps_here`` and
``speed_note`` say which case this machine is; choosing ``mixed`` where it cannot pay says so once.
"""

import sys

from dreamlib.knobs import PRECISIONS, knob

BF16_FLAGS = ("avx512_bf16", "amx_bf16")   # /proc/cpuinfo flags of CPUs that compute in bfloat16
FLOAT16_LOSS_SCALE = 2.0 ** 12   # float16's smallest normal number is 6e-5: a mean's gradient is far smaller

# Seconds per step, mixed / float32, measured by benchmarks/bench_precision.py (see benchmarks/README.md).
SLOW_CPU = "on a 2-core AVX2 AMD EPYC, mixed steps at 500 px took 2.2-3.5x as long as float32's on " \
           "MobileNetV2 and 11-13x on InceptionV3"
BF16_CPU = "issue 21 measured bfloat16 1.35-1.85x faster on InceptionV3 but 0.5x on MobileNetV2 (its " \
           "depthwise convolutions) on an AMX Xeon"


def gpu_visible():
    """True when TensorFlow sees a GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def compute_dtype(precision="float32"):
    """The dtype the network computes in: float32, or for ``mixed`` float16 on a GPU, else bfloat16."""
    if knob("precision").check(precision) == "float32":
        return "float32"
    return "float16" if gpu_visible() else "bfloat16"


def loss_scale(dtype):
    """What the loss is multiplied by before its gradient (and the gradient divided by after): float16
    needs it so that small gradients do not round to zero; bfloat16 has float32's range and does not."""
    return FLOAT16_LOSS_SCALE if dtype == "float16" else 1.0


def cpu_bf16_flags(cpuinfo="/proc/cpuinfo"):
    """The bfloat16 instruction sets this CPU announces (empty when none, or when it cannot be told)."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            flags = set(f.read().split())
    except OSError:
        return ()
    return tuple(flag for flag in BF16_FLAGS if flag in flags)


def helps_here():
    """Whether mixed precision can be faster on this machine: a GPU, or a CPU with bf16 hardware (then
    on big networks such as InceptionV3; MobileNets' depthwise convolutions gain nothing)."""
    return gpu_visible() or bool(cpu_bf16_flags())


def speed_note():
    """One line saying what ``precision="mixed"`` computes in here and whether it is likely to pay."""
    if gpu_visible():
        return "mixed precision runs the network in float16 on the GPU: usually faster on GPUs with tensor " \
               "cores (not yet measured for dreamlib: benchmarks/bench_precision.py)"
    found = cpu_bf16_flags()
    if found:
        return f"mixed precision runs the network in bfloat16 on this CPU, which has {'/'.join(found)}: " \
               f"faster on big networks, not on MobileNets ({BF16_CPU}; measure: benchmarks/bench_precision.py)"
    return f"mixed precision runs the network in bfloat16, but this CPU has no bfloat16 hardware " \
           f"(AVX512-BF16 or AMX), so it is emulated and SLOWER ({SLOW_CPU}): keep float32 here"


_noted = set()


def note_once(precision):
    """Say ``speed_note`` on stderr, once per process, when ``mixed`` is asked for where it will not pay."""
    if precision == "float32" or "slow" in _noted or helps_here():
        return
    _noted.add("slow")
    print(f"dreamlib: {speed_note()}", file=sys.stderr, flush=True)


def mixed_extractor(extractor, precision="float32", dtype=None):
    """``extractor`` (a Keras model, picture -> activations) computing in ``compute_dtype(precision)``.

    float32 returns it unchanged. Otherwise a clone whose layers follow Keras's ``mixed_bfloat16``
    (or ``mixed_float16``) policy: weights kept in float32 and copied from ``extractor``, each layer
    computing in 16 bits, and the outputs cast back to float32 for the loss. ``dtype`` forces the
    16-bit type (tests run float16 on a CPU).
    """
    import keras

    dtype = dtype or compute_dtype(precision)
    if dtype == "float32":
        return extractor
    policy = keras.DTypePolicy(f"mixed_{dtype}")

    def with_policy(layer):
        config = layer.get_config()
        config["dtype"] = policy
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(extractor, clone_function=with_policy)
    clone.set_weights(extractor.get_weights())
    outputs = clone.outputs if isinstance(clone.output, (list, tuple)) else [clone.output]
    return keras.Model(clone.input, [keras.ops.cast(output, "float32") for output in outputs],
                       name=f"{extractor.name}_{dtype}")

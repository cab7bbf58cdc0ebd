"""The precision policy: what `auto` picks on which hardware, forced bfloat16 in the algorithms
(finite losses, bfloat16 inside the network, float32 outside), and the recipe's record of it."""

import numpy as np
import pytest
import tensorflow as tf

from genart import models, precision
from genart.dream import DreamConfig, dream
from genart.errors import InputError
from genart.recipe import make_recipe
from genart.style import CONTENT_LAYERS, STYLE_LAYERS, StyleConfig, stylize


@pytest.fixture()
def hardware(monkeypatch):
    """Set what the probe sees: ``hardware(flags, speedup, gpu=None)``; `auto` follows the probe (not the tests' pin)."""
    monkeypatch.delenv(precision.PRECISION_ENV, raising=False)
    measured = []

    def set_hardware(flags, speedup=None, gpu=None):
        def speed():
            measured.append(1)
            if speedup is None:
                pytest.fail("auto measured bfloat16 on a CPU without native bfloat16")
            return speedup
        precision.set_probe(flags=lambda: frozenset(flags), gpu=lambda: gpu, speedup=speed)
        return measured

    yield set_hardware
    precision.set_probe()


# --- what auto picks -------------------------------------------------------------------------------

def test_auto_is_float32_without_native_bf16_and_never_measures(hardware):
    measured = hardware({"avx2", "fma", "avx512f"})
    policy = precision.resolve("auto")
    assert policy.dtype == "float32" and policy.keras_policy == "float32" and not policy.reduced
    assert "no native bfloat16" in policy.reason and measured == []


def test_auto_is_bfloat16_where_flags_and_measurement_agree(hardware):
    measured = hardware({"avx2", "avx512_bf16"}, speedup=1.6)
    policy = precision.resolve("auto")
    assert (policy.dtype, policy.keras_policy) == ("bfloat16", "mixed_bfloat16") and "1.6×" in policy.reason
    precision.resolve("auto")
    assert measured == [1]  # measured once, at first use


def test_auto_stays_float32_when_the_measurement_disagrees_with_the_flags(hardware):
    hardware({"amx_bf16"}, speedup=0.9)
    policy = precision.resolve("auto")
    assert policy.dtype == "float32" and "0.90×" in policy.reason


def test_auto_on_a_gpu(hardware):
    hardware(set(), gpu=(8, 0))
    assert precision.resolve("auto").dtype == "bfloat16"
    hardware(set(), gpu=(7, 5))
    assert precision.resolve("auto").dtype == "float16"


def test_the_environment_chooses_what_auto_means(hardware, monkeypatch):
    hardware({"avx512_bf16"}, speedup=2.0)
    monkeypatch.setenv(precision.PRECISION_ENV, "float32")
    policy = precision.resolve("auto")
    assert policy.dtype == "float32" and precision.PRECISION_ENV in policy.reason
    assert precision.resolve("bfloat16").dtype == "bfloat16"  # an explicit choice is kept
    monkeypatch.setenv(precision.PRECISION_ENV, "fp8")
    with pytest.raises(InputError, match="GENART_PRECISION must be one of auto, float32"):
        precision.resolve("auto")


def test_bad_choices_get_a_sentence(hardware):
    hardware({"avx2"})
    with pytest.raises(InputError, match="float16 runs only on a GPU"):
        precision.resolve("float16")
    for cfg in (DreamConfig, StyleConfig):
        with pytest.raises(InputError, match="precision must be one of auto, float32, bfloat16, float16"):
            cfg(precision="half")
    assert DreamConfig(precision=" BFloat16 ").precision == "bfloat16"
    assert "emulates" in precision.resolve("bfloat16").reason


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    x86 = tmp_path / "x86"
    x86.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512_bf16\n\nprocessor\t: 1\n")
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\n")
    plain = tmp_path / "plain"
    plain.write_text("flags\t: fpu sse2 avx2 fma\n")
    assert precision.native_bf16(precision.cpu_flags(str(x86)))
    assert precision.native_bf16(precision.cpu_flags(str(arm)))
    assert not precision.native_bf16(precision.cpu_flags(str(plain)))
    assert precision.cpu_flags(str(tmp_path / "missing")) == frozenset()


def test_the_header_line_says_what_and_why(hardware):
    hardware({"avx2"})
    assert precision.header_line().startswith("Precision: float32: this CPU")


# --- reduced precision inside the networks only ----------------------------------------------------

@pytest.fixture(scope="module")
def dream_model():
    return models.dream_extractor(("mixed3",), weights="random")


def test_with_precision_keeps_weights_float32_and_outputs_float32(dream_model):
    assert models.with_precision(dream_model, "float32") is dream_model
    mixed = models.with_precision(dream_model, "bfloat16")
    assert models.with_precision(dream_model, "bfloat16") is mixed  # cached
    convs = [layer for layer in mixed.layers if isinstance(layer, tf.keras.layers.Conv2D)]
    assert convs and all(layer.compute_dtype == "bfloat16" and layer.variable_dtype == "float32" for layer in convs)
    x = tf.random.stateless_uniform([1, 96, 96, 3], [0, 1], -1.0, 1.0)
    ref, out = dream_model(x), mixed(x)
    assert out.dtype == tf.float32
    rel = float(tf.reduce_mean(tf.abs(out - ref)) / tf.reduce_mean(tf.abs(ref)))
    assert 0.0 < rel < 0.05  # bfloat16 arithmetic: close, not identical


def test_forced_bfloat16_dream_runs_in_bfloat16_and_stays_close(photo, dream_model):
    from genart.dream.ascent import _ascents

    cfg = dict(layers=("mixed3",), octaves=2, steps_per_octave=4, max_dim=128, tile_size=0)
    exact = list(dream(photo, DreamConfig(**cfg, precision="float32"), dream_model))
    fast = list(dream(photo, DreamConfig(**cfg, precision="bfloat16"), dream_model))
    assert all(np.isfinite(f.metrics["loss"]) for f in fast[1:])
    assert models.with_precision(dream_model, "bfloat16") in _ascents  # the bfloat16 network did the work
    diff = np.abs(fast[-1].image.astype(float) - exact[-1].image.astype(float))
    assert 0 < diff.mean() <= 2.0  # grey levels


def test_default_dream_network_in_bfloat16_is_a_view_of_one_mixed_network():
    a = models.dream_extractor(("mixed2",), weights="random", precision="bfloat16")
    b = models.dream_extractor(("mixed4",), weights="random", precision="bfloat16")
    assert a.outputs[0].dtype == "float32"
    conv = next(layer for layer in a.layers if isinstance(layer, tf.keras.layers.Conv2D))
    assert conv.compute_dtype == "bfloat16" and conv in b.layers  # shared weights, not a copy per layer set


def test_forced_bfloat16_style_keeps_losses_float32_and_finite(photo):
    model = models.vgg19_extractor(STYLE_LAYERS, CONTENT_LAYERS, weights="random", precision="bfloat16")
    inner = [layer for layer in model.layers if isinstance(layer, tf.keras.layers.Conv2D)]
    assert inner and all(layer.compute_dtype == "bfloat16" for layer in inner)
    frames = list(stylize(photo, photo[::-1], StyleConfig(steps=4, max_dim=64, precision="bfloat16")))
    assert all(np.isfinite(v) for f in frames[1:] for v in f.metrics.values())
    assert frames[-1].final and frames[-1].metrics["total"] > 0


def test_recipes_record_the_precision_that_ran(hardware):
    hardware({"avx2"})
    recipe = make_recipe("dream", DreamConfig(), weights="random")
    assert recipe["config"]["precision"] == "float32"  # auto, resolved: a replay computes the same way
    assert recipe["run"]["precision"].startswith("float32")
    forced = make_recipe("style", StyleConfig(precision="bfloat16"), weights="random")
    assert forced["config"]["precision"] == "bfloat16"


def test_the_tabs_precision_control_is_what_runs(client, style_files, monkeypatch):
    """The style tab's Precision control: float32 stays float32 where auto means bfloat16."""
    from gradio_client import handle_file

    from genart.recipe import read_recipe

    monkeypatch.setenv(precision.PRECISION_ENV, "bfloat16")  # what auto means, read at each run
    content, style = style_files
    for chosen, expected in (("float32", "float32"), ("auto", "bfloat16")):
        *_, png, _gif = client.predict(handle_file(content), handle_file(style), steps=2, max_dim=64,
                                       precision=chosen, api_name="/stylize")
        assert read_recipe(png["path"], "style")["config"]["precision"] == expected

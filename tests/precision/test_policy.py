"""The precision policy: what `auto` picks per algorithm on which hardware (measured from the
algorithm's own step, once per process, kept on disk per machine), forced bfloat16 in the algorithms
(finite losses, bfloat16 inside the network, float32 outside), and the recipe's record of it."""

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import tensorflow as tf

from genart import models, precision
from genart.precision import machine_cache
from genart.dream import DreamConfig, dream
from genart.errors import InputError
from genart.frames import RunFacts
from genart.recipe import make_recipe
from genart.style import CONTENT_LAYERS, STYLE_LAYERS, StyleConfig, stylize

from tests import ROOT


@pytest.fixture(autouse=True)
def decision_file(tmp_path, monkeypatch):
    """Every test here keeps its decisions in a file of its own, never the user's real one."""
    path = tmp_path / "cache" / "precision.json"
    monkeypatch.setenv(precision.CACHE_ENV, str(path))
    return path


@pytest.fixture()
def hardware(monkeypatch):
    """Set what the probe sees: ``hardware(flags, gpu=None, cpu=..., tensorflow=...)``; `auto` follows it
    (not the tests' pin). Each call is a fresh process as far as the policy knows."""
    monkeypatch.delenv(precision.PRECISION_ENV, raising=False)

    def set_hardware(flags, gpu=None, cpu="Test CPU 9000", tensorflow="2.99.0"):
        precision.set_probe(flags=lambda: frozenset(flags), gpu=lambda: gpu, cpu=lambda: cpu,
                            tensorflow=lambda: tensorflow)

    yield set_hardware
    precision.set_probe()


class Timer:
    """A fake step timer: seconds per step by dtype (a list is consumed call by call); records its calls."""

    def __init__(self, float32, bfloat16, sleep=0.0):
        self.seconds = {"float32": list(float32) if isinstance(float32, list) else float32,
                        "bfloat16": list(bfloat16) if isinstance(bfloat16, list) else bfloat16}
        self.calls, self.sleep = [], sleep

    def __call__(self, dtype):
        self.calls.append(dtype)
        time.sleep(self.sleep)
        value = self.seconds[dtype]
        return value.pop(0) if isinstance(value, list) else value


def never(dtype):
    pytest.fail(f"measured {dtype} where auto needs no measurement")


BF16 = {"avx2", "avx512f", "avx512_bf16"}


# --- what auto picks -------------------------------------------------------------------------------

def test_auto_is_float32_without_native_bf16_and_never_measures(hardware, decision_file):
    hardware({"avx2", "fma", "avx512f"})
    policy = precision.resolve("auto", "dream", timer=never)
    assert policy.dtype == "float32" and policy.keras_policy == "float32" and not policy.reduced
    assert "no native bfloat16" in policy.reason and policy.speedup is None
    assert not decision_file.exists()  # nothing measured, nothing kept


def test_auto_is_decided_per_algorithm_from_its_own_step(hardware):
    hardware(BF16)
    dream_timer, gan_timer = Timer(0.22, 0.10), Timer(0.08, 0.10)
    fast = precision.resolve("auto", "dream", timer=dream_timer)
    slow = precision.resolve("auto", "gan", timer=gan_timer)
    assert (fast.dtype, fast.keras_policy, fast.algorithm) == ("bfloat16", "mixed_bfloat16", "dream")
    assert fast.speedup == pytest.approx(2.2) and "2.2×" in fast.reason
    assert slow.dtype == "float32" and slow.speedup == pytest.approx(0.8) and "0.80×" in slow.reason
    # interleaved rounds, float32 first, then bfloat16 first: drift hits both alike
    assert dream_timer.calls == ["float32", "bfloat16", "bfloat16", "float32"] * 2 + ["float32", "bfloat16"]
    assert precision.ROUNDS == 5 and len(gan_timer.calls) == 2 * precision.ROUNDS
    precision.resolve("auto", "dream", timer=never)  # once per process
    assert precision.resolve("auto", "dream").dtype == "bfloat16"


def test_a_busy_moment_does_not_decide(hardware):
    hardware(BF16)
    # float32's first round and bfloat16's second ran while the machine was busy: the fastest of each counts
    busy = ([0.50, 0.20, 0.21, 0.3, 0.25], [0.10, 0.30, 0.11, 0.2, 0.12])
    assert precision.measure(Timer(*busy)) == (0.20, 0.10, precision.ROUNDS)
    assert precision.resolve("auto", "style", timer=Timer(*busy)).speedup == 2.0


def test_a_speedup_near_the_line_is_measured_longer(hardware, decision_file):
    hardware(BF16)
    # 1.05x in the first rounds (a busy machine); in the extra rounds bfloat16 gets a quiet moment
    n, extra = precision.ROUNDS, precision.EXTRA_ROUNDS
    timer = Timer([0.105] * (n + extra), [0.1] * n + [0.08] * extra)
    policy = precision.resolve("auto", "gan", timer=timer)
    assert len(timer.calls) == 2 * (n + extra) and policy.dtype == "bfloat16"
    assert policy.speedup == pytest.approx(0.105 / 0.08)
    assert json.loads(decision_file.read_text())["entries"][precision.machine_key("gan")]["rounds"] == n + extra
    clear = Timer(0.3, 0.1)
    assert precision.measure(clear) == (0.3, 0.1, n) and len(clear.calls) == 2 * n  # far from the line: no more


def test_the_minimum_speedup_is_the_line(hardware):
    hardware(BF16)
    just = precision.resolve("auto", "dream", timer=Timer(1.1, 1.0))
    under = precision.resolve("auto", "style", timer=Timer(1.099, 1.0))
    assert (just.dtype, under.dtype) == ("bfloat16", "float32") and "only 1.09×" in under.reason
    assert precision.MIN_SPEEDUP == 1.1


def test_auto_without_a_timer_is_provisional_and_not_kept(hardware, decision_file):
    hardware(BF16)
    assert precision.known("dream") is None
    policy = precision.resolve("auto", "dream")
    assert policy.dtype == "float32" and policy.provisional and "until measured" in policy.reason
    assert precision.known("dream") is None and not decision_file.exists()
    assert precision.resolve("auto", "dream", timer=Timer(0.3, 0.1)).dtype == "bfloat16"  # its run decides
    assert precision.known("dream").dtype == "bfloat16" and not precision.known("dream").provisional
    assert precision.resolve("auto").provisional  # no algorithm named: nothing to decide from


# --- once per machine: the decision file -----------------------------------------------------------

def test_a_later_process_reads_the_decision_and_does_not_measure(hardware, decision_file):
    hardware(BF16)
    first = precision.resolve("auto", "dream", timer=Timer(0.22, 0.10))
    data = json.loads(decision_file.read_text())
    entry = data["entries"][precision.machine_key("dream")]
    assert data["format"] == precision.CACHE_FORMAT
    assert entry["speedup"] == pytest.approx(2.2) and entry["cpu"] == "Test CPU 9000"
    assert entry["float32_s"] == 0.22 and entry["bfloat16_s"] == 0.10 and entry["tensorflow"] == "2.99.0"
    hardware(BF16)  # a new process on the same machine
    assert precision.known("dream") == first
    assert precision.resolve("auto", "dream", timer=never) == first
    assert precision.known("style") is None  # another algorithm is measured on its own


def test_another_cpu_or_tensorflow_measures_again(hardware, decision_file):
    hardware(BF16)
    precision.resolve("auto", "dream", timer=Timer(0.22, 0.10))
    for change in ({"tensorflow": "3.0.0"}, {"cpu": "Other CPU"}, {"flags": BF16 | {"amx_bf16"}}):
        hardware(**{"flags": BF16, **change})
        timer = Timer(0.1, 0.2)
        assert precision.resolve("auto", "dream", timer=timer).dtype == "float32" and timer.calls
    assert len(json.loads(decision_file.read_text())["entries"]) == 4  # each machine's kept side by side
    hardware(BF16)
    assert precision.resolve("auto", "dream", timer=never).dtype == "bfloat16"


@pytest.mark.parametrize("content", ["{not json", '{"format": 0, "entries": {}}', "[1, 2]",
                                     "KEY"])  # KEY: an entry of the right key without timings
def test_a_corrupt_file_is_measured_again_and_rewritten(hardware, decision_file, content):
    hardware(BF16)
    decision_file.parent.mkdir(parents=True)
    if content == "KEY":
        content = json.dumps({"format": precision.CACHE_FORMAT, "entries": {precision.machine_key("dream"): {}}})
    decision_file.write_text(content)
    timer = Timer(0.3, 0.1)
    assert precision.resolve("auto", "dream", timer=timer).speedup == pytest.approx(3.0) and timer.calls
    hardware(BF16)
    assert precision.resolve("auto", "dream", timer=never).speedup == pytest.approx(3.0)


def test_a_read_only_disk_decides_in_memory(hardware, tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(precision.CACHE_ENV, str(tmp_path / "a-file" / "precision.json"))  # cannot be created
    hardware(BF16)
    timer = Timer(0.3, 0.1)
    assert precision.resolve("auto", "dream", timer=timer).dtype == "bfloat16"
    assert precision.resolve("auto", "dream", timer=never).dtype == "bfloat16"
    assert len(timer.calls) == 2 * precision.ROUNDS


def test_the_file_can_be_turned_off_and_defaults_next_to_keras(hardware, tmp_path, monkeypatch):
    monkeypatch.setenv(precision.CACHE_ENV, "off")
    assert precision.cache_path() is None
    hardware(BF16)
    assert precision.resolve("auto", "dream", timer=Timer(0.3, 0.1)).dtype == "bfloat16"
    assert not list(tmp_path.rglob("*.json"))
    monkeypatch.delenv(precision.CACHE_ENV)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert precision.cache_path() == str(tmp_path / "keras" / "genart" / "precision.json")


def test_the_first_entry_written_wins(tmp_path):
    path = str(tmp_path / "d.json")
    assert machine_cache.add(path, 1, "k", {"speedup": 2.0}) == {"speedup": 2.0}
    assert machine_cache.add(path, 1, "k", {"speedup": 1.0}) == {"speedup": 2.0}  # measured meanwhile elsewhere
    assert machine_cache.read(path, 1) == {"k": {"speedup": 2.0}} and machine_cache.read(path, 2) == {}
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_threads_asking_at_once_measure_once(hardware):
    hardware(BF16)
    timer, results = Timer(0.3, 0.1, sleep=0.02), []
    threads = [threading.Thread(target=lambda: results.append(precision.resolve("auto", "dream", timer=timer)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(timer.calls) == 2 * precision.ROUNDS and len(set(results)) == 1 and results[0].dtype == "bfloat16"


PROCESS = """
import os, sys, time
from genart import precision
precision.set_probe(flags=lambda: frozenset({"avx512_bf16"}), gpu=lambda: None, cpu=lambda: "Test CPU",
                    tensorflow=lambda: "2.99.0")
def timer(dtype):
    with open(sys.argv[1], "a") as fh:
        fh.write(f"{os.getpid()} {dtype}\\n")
    time.sleep(0.1)
    return {"float32": 0.2, "bfloat16": 0.1 + os.getpid() % 7 / 1000}[dtype]  # each process measures its own
print(precision.resolve("auto", "dream", timer=timer).speedup)
"""


def test_processes_of_one_machine_measure_one_at_a_time_and_agree(tmp_path):
    log = tmp_path / "calls.txt"
    env = {**os.environ, precision.CACHE_ENV: str(tmp_path / "precision.json"), "PYTHONPATH": ROOT}
    env.pop(precision.PRECISION_ENV, None)
    procs = [subprocess.Popen([sys.executable, "-c", PROCESS, str(log)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    measuring = {line.split()[0] for line in log.read_text().splitlines()}
    assert len(measuring) == 1 and len(log.read_text().splitlines()) == 2 * precision.ROUNDS
    assert len(set(outputs)) == 1  # the same decision, from the same measurement


def test_a_timer_must_time_a_fixed_dtype(hardware):
    hardware(BF16)

    def asks_for_auto(dtype):
        return precision.resolve("auto", "dream", timer=asks_for_auto) and 0.1

    with pytest.raises(RuntimeError, match="a timer must time a fixed dtype"):
        precision.resolve("auto", "dream", timer=asks_for_auto)
    with pytest.raises(ValueError, match="needs the algorithm"):
        precision.resolve("auto", timer=Timer(0.2, 0.1))
    with pytest.raises(ValueError, match="seconds for bfloat16"):
        precision.resolve("auto", "dream", timer=Timer(0.2, float("nan")))
    assert precision.known("dream") is None  # a failed measurement decides nothing


def test_auto_on_a_gpu(hardware):
    hardware(set(), gpu=(8, 0))
    assert {precision.resolve("auto", a, timer=never).dtype for a in ("dream", "style", "gan")} == {"bfloat16"}
    hardware(set(), gpu=(7, 5))
    assert precision.resolve("auto", "dream").dtype == precision.resolve("auto", "style").dtype == "float16"
    gan = precision.resolve("auto", "gan")  # its step does not loss-scale float16 (yet): float32
    assert gan.dtype == "float32" and "loss-scale" in gan.reason
    assert precision.FLOAT16_SCALED == {"dream", "style"}


def test_the_environment_chooses_what_auto_means(hardware, monkeypatch):
    hardware(BF16)
    monkeypatch.setenv(precision.PRECISION_ENV, "float32")
    policy = precision.resolve("auto", "dream", timer=never)
    assert policy.dtype == "float32" and precision.PRECISION_ENV in policy.reason
    assert precision.resolve("bfloat16").dtype == "bfloat16"  # an explicit choice is kept
    monkeypatch.setenv(precision.PRECISION_ENV, "fp8")
    with pytest.raises(InputError, match="GENART_PRECISION must be one of auto, float32"):
        precision.resolve("auto", "dream")
    assert precision.header_line().startswith("GENART_PRECISION must be one of")


def test_bad_choices_get_a_sentence(hardware):
    hardware({"avx2"})
    with pytest.raises(InputError, match="float16 runs only on a GPU"):
        precision.resolve("float16", "dream")
    for cfg in (DreamConfig, StyleConfig):
        with pytest.raises(InputError, match="precision must be one of auto, float32, bfloat16, float16"):
            cfg(precision="half")
    assert DreamConfig(precision=" BFloat16 ").precision == "bfloat16"
    assert "emulates" in precision.resolve("bfloat16").reason


def test_cpu_flags_and_model_are_read_from_cpuinfo(tmp_path):
    x86 = tmp_path / "x86"
    x86.write_text("processor\t: 0\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu sse2 avx2 avx512_bf16\n\n"
                   "processor\t: 1\n")
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\nCPU part\t: 0xd40\n")
    plain = tmp_path / "plain"
    plain.write_text("flags\t: fpu sse2 avx2 fma\n")
    assert precision.native_bf16(precision.cpu_flags(str(x86)))
    assert precision.native_bf16(precision.cpu_flags(str(arm)))
    assert not precision.native_bf16(precision.cpu_flags(str(plain)))
    assert precision.cpu_flags(str(tmp_path / "missing")) == frozenset()
    assert (precision.cpu_model(str(x86)), precision.cpu_model(str(arm))) == ("AMD EPYC 9R14", "0xd40")


def test_the_header_says_per_tab_what_runs_and_why(hardware):
    hardware({"avx2"})
    assert precision.header_line() == ("Precision: float32: this CPU (Test CPU 9000) has no native bfloat16 "
                                       "(emulated, it gains nothing or loses).")
    hardware(BF16)
    precision.resolve("auto", "dream", timer=Timer(0.22, 0.1))
    precision.resolve("auto", "gan", timer=Timer(0.1, 0.1))
    assert precision.describe("dream").startswith("DeepDream in bfloat16: its step measured 2.2× float32's speed")
    assert precision.describe("gan").startswith("DCGAN in float32: this CPU has native bfloat16, but its step "
                                                "measured only 1.00×")
    line = precision.header_line()
    assert "Style transfer in float32 until measured" in line and "DeepDream in bfloat16" in line
    assert precision.describe("fast_style").startswith("Fast style transfer in float32 until measured")


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
    from genart import dream as dreams, style as styles

    hardware({"avx2"})
    cfg = DreamConfig()
    recipe = make_recipe("dream", cfg, ran=RunFacts(dreams.policy(cfg)), weights="random")  # what its run reports
    assert recipe["config"]["precision"] == "float32"  # auto, resolved: a replay computes the same way
    assert recipe["run"]["precision"].startswith("float32")
    forced_cfg = StyleConfig(precision="bfloat16")
    forced = make_recipe("style", forced_cfg, ran=RunFacts(styles.policy(forced_cfg)), weights="random")
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


@pytest.mark.slow
def test_each_algorithm_decides_auto_from_its_own_step_and_the_app_says_so(hardware, monkeypatch):
    """Issue 23: DeepDream, style transfer and the DCGAN each time their own compiled step (the run modules
    pass their timers); the decisions differ where the gains differ, and the header and each tab's
    estimate line say which precision runs and what it measured."""
    import genart.dream.run as dream_run
    import genart.style.run as style_run
    from genart import dream as dreams, gan, style as styles
    from genart.ui.estimate_line import estimate_line

    hardware({"avx512_bf16"})
    timers = {"dream": Timer(1.0, 0.45), "style": Timer(1.0, 0.97)}  # DeepDream gains 2.2×, style 1.03×
    monkeypatch.setattr(dream_run.PRECISION, "timer", timers["dream"])
    monkeypatch.setattr(style_run.PRECISION, "timer", timers["style"])
    assert dreams.policy(DreamConfig()).dtype == "bfloat16" and styles.policy(StyleConfig()).dtype == "float32"
    assert dreams.policy(DreamConfig(precision="float32")).dtype == "float32"  # asked for: no measurement
    calls = {name: len(t.calls) for name, t in timers.items()}
    assert dreams.policy(DreamConfig()).dtype == "bfloat16" and {n: len(t.calls) for n, t in timers.items()} == calls
    line = precision.header_line()
    assert "DeepDream in bfloat16" in line and "2.2×" in line and "Style transfer in float32" in line
    assert "DCGAN in float32 until measured" in line  # its first trainer here times it
    dream_line = estimate_line(dreams.COSTING, lambda: (DreamConfig(max_dim=128, octaves=1), (None,), {}))
    assert "DeepDream in bfloat16" in dream_line
    style_line = estimate_line(styles.COSTING,
                               lambda: (StyleConfig(precision="float32", steps=2, max_dim=64), (None,), {}))
    assert style_line.endswith("In float32, as asked.")
    assert gan.policy(gan.GanConfig(precision="float32")).dtype == "float32"

"""genart.fast_style: the hub loading path on a stand-in SavedModel, offline, the random architecture,
strength, the Frame contract, the live-frame styler and config validation (no network)."""

import math
import os
import sys
import threading

import keras
import numpy as np
import pytest
import tensorflow as tf

from genart import fast_style, models
from genart.errors import InputError, WeightsUnavailable
from genart.fast_style import FastStyleConfig, FastStyler, hub, paint, plan, prepare_style, stylise
from genart.fast_style import networks
from genart.images import load_image, to_uint8


@pytest.fixture(scope="module")
def net():
    """The cached random-weight network (conftest sets GENART_WEIGHTS=random)."""
    return hub.load_model()


@pytest.fixture()
def style_rgb() -> np.ndarray:
    yy, xx = np.mgrid[0:80, 0:90]
    stripes = (((xx + yy) // 6) % 2 * 200 + 30).astype(np.uint8)
    return np.stack([stripes, 255 - stripes, stripes // 2], axis=2)


@pytest.fixture()
def hub_env(monkeypatch, tmp_path):
    """Pretrained mode with an empty hub cache under tmp_path; the model cache cleared before and after."""
    monkeypatch.setenv(models.WEIGHTS_ENV, "imagenet")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv(hub.CACHE_ENV, raising=False)
    hub.clear_cache()
    yield monkeypatch
    hub.clear_cache()


class StandIn(tf.Module):
    """The hub model's signature: two float32 [1, None, None, 3] images → a list whose [0] is the picture."""

    @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.float32)] * 2)
    def __call__(self, content, style):
        return [0.5 * (1.0 - content) + 0.5 * tf.reduce_mean(style, axis=[1, 2], keepdims=True)]


# --- the real loading path ------------------------------------------------------------------------

def test_stand_in_savedmodel_loads_through_the_hub_path_and_paints(hub_env, tmp_path, photo, style_rgb):
    folder = tmp_path / "stand_in"
    tf.saved_model.save(StandIn(), str(folder))
    hub_env.setenv(fast_style.MODEL_ENV, str(folder))
    model = hub.load_model()
    assert hub.load_model() is model  # loaded once per process
    assert not isinstance(model, networks.FastStyleNetwork)
    # the cache folder defaults to tfhub beside Keras' weights, without clobbering an operator's setting
    assert os.environ[hub.CACHE_ENV] == str(tmp_path / "keras" / "tfhub")

    cfg = FastStyleConfig(max_dim=100)
    frame = list(paint(photo, style_rgb, cfg))[-1]
    content = load_image(photo, 100).astype(np.float32) / 255.0
    style_mean = prepare_style(style_rgb, cfg.style_size).mean(axis=(0, 1, 2))
    expected = to_uint8(0.5 * (1.0 - content) + 0.5 * style_mean)
    assert frame.image.shape == expected.shape == (75, 100, 3)
    assert np.abs(frame.image.astype(int) - expected).max() <= 1


def test_operator_cache_dir_is_kept(hub_env, tmp_path):
    tf.saved_model.save(StandIn(), str(tmp_path / "m"))
    hub_env.setenv(fast_style.MODEL_ENV, str(tmp_path / "m"))
    hub_env.setenv(hub.CACHE_ENV, str(tmp_path / "mine"))
    hub.load_model()
    assert os.environ[hub.CACHE_ENV] == str(tmp_path / "mine") == hub.cache_dir()


def _load_with_timeout(seconds: float = 60.0):
    """hub.load_model() in a thread, so that a download that hangs fails the test instead of hanging it."""
    result = {}

    def target():
        try:
            result["model"] = hub.load_model()
        except BaseException as exc:  # handed to the test
            result["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"loading an unreachable handle did not fail within {seconds:.0f} s"
    return result


def test_unreachable_handle_is_one_sentence(hub_env, photo, style_rgb, caplog):
    handle = "http://127.0.0.1:9/arbitrary-image-stylization.tar.gz"  # refused at once, no network needed
    hub_env.setenv(fast_style.MODEL_ENV, handle)
    error = _load_with_timeout()["error"]
    assert isinstance(error, WeightsUnavailable)
    text = str(error)
    assert handle in text and fast_style.MODEL_ENV in text and "GENART_WEIGHTS=random" in text
    assert hub.cache_dir() in text
    assert "\n" not in text and text.endswith(".") and "Traceback" not in text and "Errno" not in text
    assert "Connection refused" in caplog.text  # the real reason goes to the log
    with pytest.raises(WeightsUnavailable, match="Could not load the fast style model"):
        list(paint(photo, style_rgb, FastStyleConfig(max_dim=64)))


def test_missing_folder_is_one_sentence(hub_env, tmp_path):
    folder = str(tmp_path / "not-there")
    hub_env.setenv(fast_style.MODEL_ENV, folder)
    with pytest.raises(WeightsUnavailable) as info:
        hub.load_model()
    assert folder in str(info.value) and "not a SavedModel folder" in str(info.value)


def test_missing_tensorflow_hub_is_one_sentence(hub_env, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_hub", None)  # import tensorflow_hub raises ImportError
    with pytest.raises(WeightsUnavailable, match="tensorflow_hub could not be imported.*requirements.txt"):
        hub.load_model()


def test_default_handle_is_the_tutorials(monkeypatch):
    monkeypatch.delenv(fast_style.MODEL_ENV, raising=False)
    assert fast_style.model_handle() == "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2"
    monkeypatch.setenv(fast_style.MODEL_ENV, " /models/style ")
    assert fast_style.model_handle() == "/models/style"


# --- the random architecture ----------------------------------------------------------------------

@pytest.mark.slow
def test_random_network_keeps_odd_sizes(net):
    style = tf.random.uniform([1, 256, 256, 3], seed=1)
    for h, w in [(97, 131), (64, 48), (33, 35)]:
        out = net(tf.random.uniform([1, h, w, 3], seed=2), style)[0].numpy()
        assert out.shape == (1, h, w, 3)
        assert 0.0 <= out.min() and out.max() <= 1.0 and out.std() > 0.01
    assert net._call.experimental_get_tracing_count() == 1  # new sizes never retrace


def test_random_network_is_the_documented_architecture(net):
    predictor, transformer = net.predictor, net.transformer
    assert predictor.output.shape[-1] == networks.STYLE_VECTOR_SIZE == 100
    assert predictor.get_layer("mixed7").output.shape[-1] == 768  # Mixed_6e
    assert "mixed8" not in [layer.name for layer in predictor.layers]
    assert net.style_vector(tf.random.uniform([1, 256, 256, 3])).shape == (1, 100)
    cins = networks.cin_layers(transformer)
    assert [transformer.get_layer(f"{c.name}_gamma").units for c in cins] == list(networks.CIN_DEPTHS)
    assert len(cins) == 13
    convs = [layer for layer in transformer.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [(c.filters, c.kernel_size[0], c.strides[0]) for c in convs] == (
        [(32, 9, 1), (64, 3, 2), (128, 3, 2)] + [(128, 3, 1)] * 10 + [(64, 3, 1), (32, 3, 1), (3, 9, 1)])
    assert not any(c.use_bias for c in convs)


def test_style_changes_the_picture_and_split_path_matches(net):
    content = tf.random.uniform([1, 64, 80, 3], seed=3)
    a, b = tf.random.uniform([1, 256, 256, 3], seed=4), tf.zeros([1, 256, 256, 3])
    full_a = net(content, a)[0].numpy()
    assert np.abs(full_a - net(content, b)[0].numpy()).mean() > 1e-4
    split = net.transfer(content, net.style_vector(a)).numpy()
    np.testing.assert_allclose(split, full_a, atol=1e-5)


def test_random_weights_are_deterministic_per_seed(net):
    again = networks.FastStyleNetwork(seed=models.RANDOM_SEED)
    for ours, theirs in [(net.predictor, again.predictor), (net.transformer, again.transformer)]:
        for x, y in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_array_equal(x, y)
    models.seed_weights(again.transformer, 12345)  # another seed: other weights
    assert any(not np.array_equal(x, y) for x, y in zip(net.transformer.get_weights(), again.transformer.get_weights()))


# --- strength, sizes and the Frame contract --------------------------------------------------------

def test_strength_blends_pixels(net, photo, style_rgb):
    cfg = FastStyleConfig(max_dim=96)
    content = load_image(photo, 96)
    zero, half, one = (list(paint(photo, style_rgb, FastStyleConfig(max_dim=96, strength=s), model=net))[-1].image
                       for s in (0.0, 0.5, 1.0))
    np.testing.assert_array_equal(zero, content)
    stylised = to_uint8(stylise(net, content, prepare_style(style_rgb, cfg.style_size)))
    assert np.abs(one.astype(int) - stylised).max() <= 1
    assert np.abs(one.astype(int) - content).mean() > 5
    lo, hi = np.minimum(content, one).astype(int), np.maximum(content, one).astype(int)
    assert ((half >= lo - 1) & (half <= hi + 1)).all()
    assert np.abs(half.astype(int) - (content.astype(int) + one) / 2).max() <= 1.5


def test_paint_frame_contract(net, photo, style_rgb):
    cfg = FastStyleConfig(max_dim=131)
    odd = load_image(photo, 131)[:97]  # 97×131: not a multiple of 4
    frames = list(paint(odd, style_rgb, cfg, model=net))
    assert len(frames) == 2
    start, f = frames
    assert not start.final and (start.step, start.total, start.stage) == (0, 1, "starting")
    np.testing.assert_array_equal(start.image, odd)  # the content at once, before the pass
    assert f.final and f.step == f.total == 1
    assert f.image.dtype == np.uint8 and f.image.shape == (97, 131, 3)
    assert f.stage == plan(cfg, (97, 131))[0].label == "one pass 131×97 px"
    assert all(isinstance(v, float) and math.isfinite(v) for v in f.metrics.values())


def test_plan_is_one_pass_at_the_working_size():
    (seg,) = plan(FastStyleConfig(max_dim=512), (1000, 750))
    assert seg.steps == 1 and seg.shape == (512, 384)
    assert plan(FastStyleConfig(max_dim=512), None)[0].shape == (384, 512)


def test_prepare_style_crops_the_centre_square(style_rgb):
    wide = np.zeros((100, 300, 3), np.uint8)
    wide[:, :100] = (255, 0, 0)
    wide[:, 100:200] = (0, 0, 255)
    wide[:, 200:] = (255, 0, 0)
    x = prepare_style(wide, 256)
    assert x.shape == (1, 256, 256, 3) and x.dtype == np.float32
    assert x[0, ..., 2].mean() > 0.95 and x[0, ..., 0].mean() < 0.05
    assert 0.0 <= prepare_style(style_rgb, 128).min() and prepare_style(style_rgb, 128).max() <= 1.0


def test_bad_uploads_are_input_errors(net, photo):
    with pytest.raises(InputError, match="style image"):
        list(paint(photo, None, model=net))
    with pytest.raises(InputError, match="content image"):
        list(paint(b"not an image", photo, model=net))


# --- the live styler, timing, recipes ------------------------------------------------------------------

def test_fast_styler_streams_frames(net, photo, style_rgb):
    styler = FastStyler(FastStyleConfig(max_dim=64), model=net)
    with pytest.raises(InputError, match="style image first"):
        styler(photo)
    styler.set_style(style_rgb)
    results = [None, None]

    def run(i):
        results[i] = styler(photo)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert results[0].shape == (48, 64, 3) and results[0].dtype == np.uint8
    np.testing.assert_array_equal(results[0], results[1])
    *_, frame = paint(photo, style_rgb, FastStyleConfig(max_dim=64), model=net)
    np.testing.assert_array_equal(results[0], frame.image)
    reuse = FastStyler(FastStyleConfig(max_dim=64), model=net, reuse_style_vector=True)
    reuse.set_style(style_rgb)
    assert np.abs(reuse(photo).astype(int) - results[0]).max() <= 1
    with pytest.raises(ValueError, match="style_vector"):
        FastStyler(model=lambda c, s: [c], reuse_style_vector=True)
    # None: the style vector once whenever the model can (genart's network; not the hub model's one signature)
    assert FastStyler(model=net, reuse_style_vector=None).reuse_style_vector
    assert not FastStyler(model=lambda c, s: [c], reuse_style_vector=None).reuse_style_vector


def test_step_seconds_times_a_pass(net):
    calls = []

    def model(content, style):
        calls.append((tuple(content.shape), tuple(style.shape)))
        return [content]

    seconds = fast_style.step_seconds(FastStyleConfig(style_size=128), (40, 56), model=model)
    assert seconds > 0 and calls == [((1, 40, 56, 3), (1, 128, 128, 3))] * 3
    assert fast_style.step_seconds(FastStyleConfig(), (32, 48), model=net) > 0


def test_recipe_inputs_name_the_style_tabs_inputs(photo, style_rgb):
    inputs = fast_style.recipe_inputs(photo, style_rgb)
    assert set(inputs) == {"content", "styles"} and inputs["content"] is photo and inputs["styles"][0] is style_rgb


def test_cost_key_and_label(monkeypatch):
    monkeypatch.delenv(fast_style.MODEL_ENV, raising=False)
    assert fast_style.cost_key(FastStyleConfig(), "random") == ("fast-style", "random", 256)
    assert fast_style.cost_key(FastStyleConfig()) == ("fast-style", "random", 256)  # conftest: random weights
    model = object()
    assert fast_style.cost_key(FastStyleConfig(), model=model)[1] == ("custom", id(model))
    assert fast_style.cost_key(FastStyleConfig(style_size=128), "imagenet")[1:] == (fast_style.DEFAULT_HANDLE, 128)
    assert "untrained" in fast_style.model_label("random")
    assert fast_style.DEFAULT_HANDLE in fast_style.model_label("imagenet")


def test_run_cost_prices_one_pass_and_turns_only_the_size(net):
    from genart import estimate

    cost = fast_style.run_cost(FastStyleConfig(max_dim=512), (600, 800))
    assert [s.shape for s in cost.segments] == [(384, 512)] and cost.detail == "one pass 512×384 px"
    assert [k.name for k in cost.knobs] == ["max_dim"] and cost.knobs[0].value == 512
    estimate.clear_cache()
    est = estimate.estimate(fast_style.COSTING, FastStyleConfig(max_dim=96), (120, 160), model=net)
    assert est.seconds is not None and est.seconds > 0 and est.total_steps == 1
    assert est.text.startswith("≈ ") and "one pass 96×72 px" in est.text
    # a budget a little under the run's: the cheaper setting is a smaller picture (64 px: 86 % of the cost
    # with one measured size, which is priced proportionally with a fixed overhead)
    cfg = FastStyleConfig(max_dim=96)
    tight = estimate.suggest_cheaper(fast_style.COSTING, cfg, (120, 160), model=net, budget_s=0.95 * est.seconds)
    assert tight.config.max_dim == 64 and tight.change == "max size 64 px instead of 96"
    assert estimate.suggest_cheaper(fast_style.COSTING, cfg, (120, 160), model=net, budget_s=0.5 * est.seconds) is None
    estimate.clear_cache()


# --- config -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field,value", [("max_dim", 16), ("max_dim", 4096), ("max_dim", 1.5), ("strength", -0.1),
                                         ("strength", 1.5), ("strength", True), ("style_size", 64),
                                         ("style_size", 5000)])
def test_config_validation_names_the_field(field, value):
    with pytest.raises(InputError, match=field):
        FastStyleConfig(**{field: value})


def test_config_defaults_are_the_tutorials():
    cfg = FastStyleConfig()
    assert (cfg.max_dim, cfg.strength, cfg.style_size) == (512, 1.0, 256)
    assert isinstance(FastStyleConfig(strength=1).strength, float)

"""Where the fast style model comes from: the tutorial's tfhub.dev handle, else (a network failure, such as
the HTTP 403 after the redirect to Kaggle) its Kaggle Models copy; both cached. Stand-ins for both
resolvers, no network."""

import hashlib
import os
import sys
import textwrap
import threading
import urllib.error

import pytest
import tensorflow as tf

from genart import downloads, fast_style, models
from genart.errors import WeightsUnavailable
from genart.fast_style import hub

from tests.fast_style.test_fast_style import StandIn


@pytest.fixture()
def env(monkeypatch, tmp_path):
    """Pretrained mode, the tutorial's handle, empty caches under tmp_path; the model cache cleared."""
    monkeypatch.setenv(models.WEIGHTS_ENV, "imagenet")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    for name in (hub.CACHE_ENV, hub.KAGGLE_CACHE_ENV, fast_style.MODEL_ENV):
        monkeypatch.delenv(name, raising=False)
    hub.clear_cache()
    yield monkeypatch
    hub.clear_cache()


def save_stand_in(folder) -> str:
    tf.saved_model.save(StandIn(), str(folder))
    return str(folder)


def forbidden(handle):
    raise urllib.error.HTTPError(handle, 403, "Forbidden", {}, None)


class Resolvers:
    """Stand-ins for tensorflow_hub's and kagglehub's resolvers that write where the real ones do."""

    def __init__(self, env, hub_result=None, kaggle_result=None):
        self.calls = []
        self.hub_result, self.kaggle_result = hub_result, kaggle_result
        env.setattr(hub, "resolve_hub", self.resolve_hub)
        env.setattr(hub, "resolve_kaggle", self.resolve_kaggle)

    def resolve_hub(self, handle):
        self.calls.append("hub")
        if isinstance(self.hub_result, BaseException):
            raise self.hub_result
        if callable(self.hub_result):
            return self.hub_result(handle)
        return save_stand_in(hub.hub_folder(handle))

    def resolve_kaggle(self):
        self.calls.append("kaggle")
        if isinstance(self.kaggle_result, BaseException):
            raise self.kaggle_result
        folder = save_stand_in(hub.kaggle_folder())
        open(folder + ".complete", "w").close()  # kagglehub's completion marker
        return folder


def test_the_tutorials_handle_is_used_and_kaggle_is_not_asked_when_it_loads(env):
    resolvers = Resolvers(env)
    model = hub.load_model()
    assert callable(model) and resolvers.calls == ["hub"]
    assert hub.cached() == hub.hub_folder(fast_style.DEFAULT_HANDLE)
    assert os.environ[hub.CACHE_ENV] == hub.cache_dir()


def test_a_403_from_tfhub_falls_back_to_the_kaggle_copy_and_keeps_it(env, caplog):
    resolvers = Resolvers(env, hub_result=forbidden)
    model = hub.load_model()
    assert callable(model) and resolvers.calls == ["hub", "kaggle"]
    assert "403" in caplog.text and fast_style.KAGGLE_HANDLE in caplog.text  # the reason, in the log
    assert hub.cached() == hub.kaggle_folder()
    assert hub.kaggle_folder().startswith(os.path.join(os.environ["KERAS_HOME"], "kagglehub"))
    hub.clear_cache()  # a new process: the Kaggle copy is loaded from its cache, nobody is asked again
    assert callable(hub.load_model()) and resolvers.calls == ["hub", "kaggle"]


@pytest.mark.parametrize("failure", [urllib.error.URLError("Name or service not known"), TimeoutError("timed out"),
                                     OSError("https://tfhub.dev/... does not appear to be a valid module.")])
def test_every_network_failure_falls_back(env, failure):
    resolvers = Resolvers(env, hub_result=failure)
    hub.load_model()
    assert resolvers.calls == ["hub", "kaggle"]


def test_no_fallback_for_a_failure_that_is_not_the_network_nor_for_another_handle(env, tmp_path):
    resolvers = Resolvers(env, hub_result=ValueError("a SavedModel from another version"))
    with pytest.raises(WeightsUnavailable):
        hub.load_model()
    assert resolvers.calls == ["hub"]
    other = "https://example.org/models/another-stylizer/1"
    env.setenv(fast_style.MODEL_ENV, other)
    resolvers = Resolvers(env, hub_result=forbidden)
    with pytest.raises(WeightsUnavailable) as info:
        hub.load_model()
    assert resolvers.calls == ["hub"] and other in str(info.value) and "Kaggle" not in str(info.value)


def test_when_both_fail_the_sentence_names_both_handles_and_caches(env):
    resolvers = Resolvers(env, hub_result=forbidden, kaggle_result=OSError("kagglehub could not download: 403"))
    with pytest.raises(WeightsUnavailable) as info:
        hub.load_model()
    text = str(info.value)
    assert resolvers.calls == ["hub", "kaggle"]
    for part in (fast_style.DEFAULT_HANDLE, fast_style.KAGGLE_HANDLE, "version 2", hub.cache_dir(),
                 hub.kaggle_cache_dir(), "genart weights", fast_style.MODEL_ENV, "GENART_WEIGHTS=random"):
        assert part in text, part
    assert "\n" not in text and text.endswith(".") and "403" not in text


def test_the_hub_cache_folder_is_tensorflow_hubs_own(env, tmp_path):
    from tensorflow_hub import compressed_module_resolver

    env.setenv(hub.CACHE_ENV, str(tmp_path / "hub-cache"))
    handle = fast_style.DEFAULT_HANDLE
    assert hub.hub_folder(handle) == compressed_module_resolver._module_dir(handle)
    assert hub.hub_folder(handle).endswith(hashlib.sha1(handle.encode()).hexdigest())


FAKE_KAGGLEHUB = '''
import os, sys
def model_download(handle):
    print("Downloading Model: https://www.kaggle.com/models/" + handle + " ...")  # kagglehub's console log
    print("100%|##########| 1.00M/1.00M", file=sys.stderr)                    # and its bar
    if os.environ.get("FAKE_KAGGLE_FAIL"):
        raise RuntimeError("403 Client Error: Forbidden for url: https://www.kaggle.com/api/v1/models/" + handle)
    folder = os.path.join(os.environ["KAGGLEHUB_CACHE"], "models", *handle.split("/"))
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, "saved_model.pb"), "w").close()
    open(folder + ".complete", "w").close()
    return folder
'''


def test_the_kaggle_resolver_runs_kagglehub_apart_and_prints_nothing(env, tmp_path, capfd):
    package = tmp_path / "fake" / "kagglehub"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(FAKE_KAGGLEHUB))
    env.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path / "fake"), *sys.path]))
    folder = hub.resolve_kaggle()
    assert folder == hub.kaggle_folder()  # the handle with its version, into the cache beside Keras'
    assert os.path.isfile(os.path.join(folder, "saved_model.pb")) and hub.cached() == folder
    assert capfd.readouterr() == ("", "")
    env.setenv("FAKE_KAGGLE_FAIL", "1")
    with pytest.raises(OSError, match="kagglehub could not download .*256/2: RuntimeError: 403 Client Error"):
        hub.resolve_kaggle()


def test_the_download_shows_on_the_channel_while_tensorflow_hub_unpacks(env):
    seen = []

    def unpacking(handle):
        tmp = hub.hub_folder(handle) + ".0123abcd.tmp"  # where tensorflow_hub unpacks before renaming
        os.makedirs(tmp)
        with open(os.path.join(tmp, "saved_model.pb"), "wb") as f:
            f.write(b"x" * 3_000_000)
        for _ in range(400):
            seen.extend(downloads.active())
            if seen and seen[-1].done:
                break
            threading.Event().wait(0.01)
        os.rename(tmp, hub.hub_folder(handle))
        return hub.hub_folder(handle)

    Resolvers(env, hub_result=unpacking)
    hub.locate()
    assert seen and seen[-1].what == hub.WHAT and seen[-1].source == fast_style.DEFAULT_HANDLE
    assert seen[-1].done == 3_000_000 and downloads.active() == ()

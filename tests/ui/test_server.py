"""Getting a server ready: Keras' cache on Spaces' persistent storage, the warm-up, Spaces' binding."""

import logging

from genart.ui import server as serving
from genart.ui import analytics_enabled, launch_kwargs


def test_keras_cache_goes_to_persistent_storage_on_spaces_only(tmp_path):
    env = {"SPACE_ID": "someone/genart"}
    serving.configure_environment(env, data_dir=str(tmp_path))
    assert env["KERAS_HOME"] == str(tmp_path / ".keras")
    local = {}
    serving.configure_environment(local, data_dir=str(tmp_path))
    assert "KERAS_HOME" not in local
    no_storage = {"SPACE_ID": "someone/genart"}
    serving.configure_environment(no_storage, data_dir=str(tmp_path / "missing"))
    assert "KERAS_HOME" not in no_storage
    chosen = {"SPACE_ID": "someone/genart", "KERAS_HOME": "/srv/keras"}
    serving.configure_environment(chosen, data_dir=str(tmp_path))
    assert chosen["KERAS_HOME"] == "/srv/keras"  # the operator's choice wins


def test_warm_up_is_on_unless_switched_off():
    """Issue 24.1: a freshly started app compiles its default steps before the first visitor, everywhere."""
    assert serving.warm_up_wanted({"SPACE_ID": "x/y"}) and serving.warm_up_wanted({})
    assert serving.warm_up_wanted({"GENART_WARMUP": "1"})
    assert not serving.warm_up_wanted({"SPACE_ID": "x/y", "GENART_WARMUP": "0"})
    assert not serving.warm_up_wanted({"GENART_WARMUP": "false"})


def test_warm_up_builds_every_tab_and_survives_a_failure(monkeypatch, caplog):
    report = serving.warm_up()
    assert set(report) == {"dream", "style", "fast style", "digits", "precision"}  # precision: auto decided per tab
    assert all(isinstance(seconds, float) for seconds in report.values()), report

    def offline(name="mnist"):
        from genart.errors import DataUnavailable
        raise DataUnavailable("MNIST could not be downloaded.")

    monkeypatch.setattr("genart.gan.data.load_digits", offline)
    with caplog.at_level(logging.WARNING, logger="genart"):
        report = serving.warm_up()
    assert report["digits"] == "MNIST could not be downloaded." and isinstance(report["dream"], float)
    assert "warm-up of digits failed" in caplog.text


def test_spaces_binding_and_no_phoning_home(monkeypatch):
    monkeypatch.setenv("SPACE_ID", "someone/genart")
    assert launch_kwargs()["server_name"] == "0.0.0.0"  # Spaces reaches the app from outside the container
    monkeypatch.delenv("SPACE_ID")
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    assert launch_kwargs()["server_name"] == "127.0.0.1"  # a laptop demo stays on loopback
    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)
    assert not analytics_enabled()
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "True")
    assert analytics_enabled()

"""genart.compute without a cluster: where runs go, and the arithmetic of a cluster's size (no Ray import)."""

import pytest

from genart import compute
from genart.dream import DreamConfig, dream
from genart.errors import InputError


def test_without_the_variable_runs_stay_in_this_process(monkeypatch):
    monkeypatch.delenv("GENART_RAY_ADDRESS", raising=False)
    monkeypatch.setenv("GENART_RAY_ADDRESS", "  ")  # blank counts as unset
    assert not compute.on_ray() and compute.where() == "this process" and compute.run_slots() is None
    assert compute.streamed(dream) is dream
    assert compute.call(lambda a, b=0: a + b, 2, b=3) == 5


def test_slots_follow_cpus_and_gpu_shares():
    assert compute.slots(16, 0, 1, 0) == 16
    assert compute.slots(16, 0, 2, 0) == 8
    assert compute.slots(16, 2, 1, 1) == 2  # the GPUs bound it
    assert compute.slots(16, 2, 1, 0.5) == 4
    assert compute.slots(1, 0, 2, 0) == 1  # a run always fits somewhere


def test_gpu_share_defaults_to_one_where_there_are_gpus(monkeypatch):
    monkeypatch.delenv("GENART_RAY_GPUS_PER_RUN", raising=False)
    assert compute.gpus_per_run(0) == 0 and compute.gpus_per_run(4) == 1
    monkeypatch.setenv("GENART_RAY_GPUS_PER_RUN", "0.5")
    assert compute.gpus_per_run(4) == 0.5


@pytest.mark.parametrize("name, value, message", [
    ("GENART_RAY_CPUS_PER_RUN", "two", "GENART_RAY_CPUS_PER_RUN must be a number of CPUs such as 1 or 2; got 'two'."),
    ("GENART_RAY_CPUS_PER_RUN", "0", "GENART_RAY_CPUS_PER_RUN must be from 0.25 to 1024; got '0'."),
    ("GENART_RAY_GPUS_PER_RUN", "-1", "GENART_RAY_GPUS_PER_RUN must be from 0 to 8; got '-1'."),
])
def test_bad_shares_read_well(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError) as err:
        compute.cpus_per_run() if "CPUS" in name else compute.gpus_per_run(1)
    assert str(err.value) == message



def test_the_variable_without_ray_installed_is_a_sentence(monkeypatch):
    import importlib.util

    monkeypatch.setenv("GENART_RAY_ADDRESS", "127.0.0.1:6379")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    for attempt in (compute.where, lambda: compute.streamed(dream), lambda: compute.trainer_factory(object)):
        with pytest.raises(InputError, match="GENART_RAY_ADDRESS is set, but Ray is not installed here: pip install"):
            attempt()

"""Where heavy runs compute: in this process (the default), or on a Ray cluster.

Set ``GENART_RAY_ADDRESS`` (``auto``, or a cluster's address such as ``127.0.0.1:6379``) and the
app sends each heavy run to the cluster as a Ray streaming-generator task that yields the same
:class:`~genart.frames.Frame`\\ s, and each DCGAN session's trainer becomes a Ray actor. Without the
variable nothing changes and Ray is never imported (it is an optional extra: ``pip install .[ray]``
or ``requirements-ray.txt``).

The package: :mod:`~genart.compute.settings` (the environment's word on where and how much),
:mod:`~genart.compute.dispatch` (a run sent where it computes), and the Ray side
(:mod:`~genart.compute.ray_runs`, :mod:`~genart.compute.ray_trainer`,
:mod:`~genart.compute.trainer_actor`), which only dispatch imports, and only on Ray. This module
imports neither Ray nor TensorFlow; it only hands the public names on.
"""


from .dispatch import call, run_slots, streamed, trainer_factory, where
from .settings import ADDRESS_ENV, CPUS_ENV, GPUS_ENV, cpus_per_run, gpus_per_run, on_ray, ray_address, slots

__all__ = ["ADDRESS_ENV", "CPUS_ENV", "GPUS_ENV", "call", "cpus_per_run", "gpus_per_run", "on_ray", "ray_address",
           "run_slots", "slots", "streamed", "trainer_factory", "where"]

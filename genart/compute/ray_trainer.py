"""A DCGAN session's trainer as a Ray actor: :class:`RemoteTrainer`, a proxy with GanTrainer's interface.

On Ray (``GENART_RAY_ADDRESS`` set) the DCGAN tab makes each session's trainer with
:func:`genart.compute.trainer_factory`, which gives this proxy. Its trainer lives in a Ray actor:

- Train creates the actor (:class:`TrainerActor`, wrapping a real :class:`~genart.gan.GanTrainer`);
  Reset, the end of the session, or the app's trainer pool closing it kills the actor
  (``ray.kill``). A proxy dropped without ``close`` takes its actor with it, as Ray ends an actor
  once no handle to it is left. Each actor is a worker process of its own that must import
  TensorFlow (seconds), so one spare actor (one more idle process) waits, imported, for the next
  Train.
- ``train(epochs)`` is a streaming actor method whose frames arrive as they are computed. Closing the
  generator (Stop, a closed tab, the per-run time limit) cancels it; the actor stops between two
  steps, so the trainer is whole and Continue resumes from the last step.
- The actor may be on another machine, so files travel as bytes: ``save``, ``export_generator`` and
  ``timelapse`` are written in the actor's own temporary folder and copied to the caller's path;
  ``restore`` sends the checkpoint's files.
- An error raised in the actor (an InputError for a checkpoint of another shape…) is raised here as
  itself; an actor that died (its node went away) reads as :class:`TrainerGone`, and the proxy
  counts as closed.

**CPUs.** The actor holds no CPU of the cluster for its lifetime (``num_cpus=0``): up to
``GENART_MAX_TRAINERS`` idle trainers wait between a session's runs and must not keep the cluster's
CPUs from the other tabs' runs. How many train at once is bounded by the app instead: Train and
Continue share the heavy concurrency limit (the cluster's run slots, :func:`genart.compute.run_slots`).
"""

from __future__ import annotations

import os
import threading
from typing import Iterator

import numpy as np
import ray

from ..errors import GenartError, InputError
from ..frames import Frame
from ..gan import CHECKPOINT_PREFIX, CONFIG_FILE, GRID_SCALE, GanConfig, check_epochs
from .ray_runs import FRAMES_AHEAD, connect, task_error
from .trainer_actor import TrainerActor, read_bytes

#: GanTrainer's words for a closed trainer, kept the same here.
CLOSED = "This trainer has been closed; start a new one."
#: Calls an actor serves at once: a run, the tab's reads between its steps (step, history) and the
#: "Play" part's samples and walks; the trainer's own lock lets each in between two steps.
ACTOR_THREADS = 8
#: Seconds ``close`` waits for the trainer's last step and history before it kills the actor.
CLOSE_WAIT_S = 2.0
#: ``0`` turns off the spare actor that waits, TensorFlow imported, for the next Train (default on).
SPARE_ENV = "GENART_RAY_SPARE_TRAINER"


class TrainerGone(GenartError, RuntimeError):
    """The actor holding a session's trainer died (its node left the cluster, or it ran out of memory)."""


def _write(path: str | os.PathLike, blob: bytes) -> str:
    with open(path, "wb") as fh:
        fh.write(blob)
    return str(path)


_Actor = ray.remote(num_cpus=0, max_restarts=0, max_concurrency=ACTOR_THREADS)(TrainerActor)
_spare: list = []  # at most one (actor, ObjectRef of its warm-up): the next Train's actor
_spare_lock = threading.Lock()


def _take_spare():
    """The spare actor (waiting for its warm-up if it is still importing), or None."""
    with _spare_lock:
        if not _spare:
            return None
        actor, warm = _spare.pop()
    try:
        ray.get(warm)
        return actor
    except Exception:  # it died meanwhile, or belongs to a cluster this process has left: start afresh
        try:
            ray.kill(actor, no_restart=True)
        except Exception:
            pass
        return None


def start_spare() -> None:
    """Start the next Train's actor warming up now (one process, no CPU reserved), unless turned off
    or one is there already. RemoteTrainer calls it after each build; an app's warm-up may call it
    (after :func:`genart.compute.ray_runs.connect`) so that even the first Train finds one."""
    if os.environ.get(SPARE_ENV, "1").strip() == "0":
        return
    with _spare_lock:
        if not _spare:
            actor = _Actor.remote()
            _spare.append((actor, actor.warm.remote()))


class RemoteTrainer:
    """A :class:`~genart.gan.GanTrainer` living in a Ray actor, used as the trainer itself.

    The attributes that never change (``config``, ``num_examples``, ``image_shape``…) are read once;
    ``step``, ``epoch`` and ``history()`` ask the actor. Safe to share between threads, as GanTrainer.
    """

    def __init__(self, config: GanConfig = GanConfig(), data=None):
        """Build the trainer in an actor: the spare one, TensorFlow already imported, when there is
        one; else a new worker process, which imports TensorFlow first (seconds: the first Train).
        Then a new spare starts warming up for the next Train (``GENART_RAY_SPARE_TRAINER=0``: none).

        Args:
            config: the settings, as for GanTrainer.
            data: as for GanTrainer (uint8 images or a :class:`genart.gan.imagesets.ImageSet`); sent to
                the actor once.

        Raises:
            InputError, DataUnavailable: as GanTrainer (raised in the actor, re-raised here).
            ClusterUnavailable: the cluster cannot be reached.
        """
        connect()
        self.config = config
        self._closed, self._lock = False, threading.Lock()
        self._step, self._history = 0, None
        self._actor = _take_spare() or _Actor.remote()
        try:
            fixed = self._get(self._actor.build.remote(config, data))
        except BaseException:
            self._closed = True
            ray.kill(self._actor, no_restart=True)
            raise
        start_spare()  # after this build, so that two TensorFlow imports never compete for the first Train
        self.actor_id: str = fixed.pop("actor_id")  # as the cluster's dashboard and state API show it
        for name, value in fixed.items():
            setattr(self, name, value)

    # -- talking to the actor -------------------------------------------------------------------------
    def _get(self, ref):
        """``ray.get(ref)``: the actor's own error as itself; a dead actor as InputError (closed) or TrainerGone."""
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            raise task_error(exc) from None
        except ray.exceptions.RayActorError as exc:
            raise self._lost(exc) from None

    def _lost(self, exc: BaseException) -> GenartError:
        """The error for a dead actor: closed by us (GanTrainer's words), or lost (the proxy closes)."""
        if self._closed:
            return InputError(CLOSED)
        self._closed = True
        return TrainerGone("This session's trainer was lost on the Ray cluster (its worker stopped: "
                           f"{type(exc).__name__}); press Train to start a new one.")

    def _call(self, method: str, *args):
        self._require_open()
        return self._get(getattr(self._actor, method).remote(*args))

    def _require_open(self) -> None:
        if self._closed:
            raise InputError(CLOSED)

    # -- training -------------------------------------------------------------------------------------
    @property
    def step(self) -> int:
        """Training steps done so far (the last value seen once closed)."""
        if not self._closed:
            self._step = int(self._call("step"))
        return self._step

    @property
    def epoch(self) -> float:
        """Epochs done so far (fractional after a stopped run)."""
        return self.step / self.steps_per_epoch

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (or the actor died)."""
        return self._closed

    def train(self, epochs: int = 1) -> Iterator[Frame]:
        """Train ``epochs`` more epochs in the actor (as :meth:`GanTrainer.train`).

        Args:
            epochs: epochs to add (1 … 1000).

        Yields:
            GanTrainer's frames; the grid array is the same object until a new preview is drawn.
            Closing the generator stops the remote run between two steps.
        """
        check_epochs(epochs)
        self._require_open()
        return self._frames(epochs)

    def _frames(self, epochs: int) -> Iterator[Frame]:
        refs = self._actor.train.options(num_returns="streaming",
                                         _generator_backpressure_num_objects=FRAMES_AHEAD).remote(epochs)
        image = None
        try:
            for ref in refs:
                small, step, total, stage, metrics, final = self._get(ref)
                if small is not None:
                    image = np.repeat(np.repeat(small, GRID_SCALE, 0), GRID_SCALE, 1)
                self._step = step
                yield Frame(image, step, total, stage, metrics, final=final, facts=self.facts)
        except ray.exceptions.RayActorError as exc:  # raised by the stream itself when the actor dies
            raise self._lost(exc) from None
        finally:
            try:
                ray.cancel(refs)  # stops the actor's run at its next step; a no-op once it has ended
            except Exception:  # the actor is gone already (closed meanwhile)
                pass

    # -- looking at it ---------------------------------------------------------------------------------
    def history(self) -> dict[str, list]:
        """Per-step losses and D's scores (copies), as :meth:`GanTrainer.history`."""
        if self._closed and self._history is not None:
            return {key: list(values) for key, values in self._history.items()}
        return self._call("call", "history")

    def grid(self) -> np.ndarray:
        """The current 4×4 grid of the fixed preview noise (uint8 H×W×3)."""
        return self._call("call", "grid")

    def digits(self) -> dict[str, list]:
        """The meter's scores of the preview grids, as :meth:`GanTrainer.digits`."""
        return self._call("call", "digits")

    def generate(self, noise: np.ndarray) -> np.ndarray:
        """The generator's images for ``noise`` (N×noise_dim), as :meth:`GanTrainer.generate`."""
        return self._call("call", "generate", np.asarray(noise, np.float32))

    def samples(self, seed: int, n: int = 16) -> np.ndarray:
        """A grid of ``n`` new samples for ``seed``, as :meth:`GanTrainer.samples`."""
        return self._call("call", "samples", seed, n)

    # -- files: written by the actor, copied to the caller's path ---------------------------------------
    def save(self, directory: str | os.PathLike) -> str:
        """Write the checkpoint and config into ``directory`` (created if missing); returns the prefix."""
        files = self._call("save")
        os.makedirs(directory, exist_ok=True)
        for name, blob in files.items():
            _write(os.path.join(directory, name), blob)
        return os.path.join(str(directory), CHECKPOINT_PREFIX)

    def restore(self, directory: str | os.PathLike) -> None:
        """Load what :meth:`save` wrote in ``directory`` (its checkpoint files travel to the actor).

        Raises:
            InputError: as :meth:`GanTrainer.restore` (no checkpoint there, or one of another shape).
        """
        self._require_open()
        names = os.listdir(directory) if os.path.isdir(directory) else []
        files = {name: read_bytes(os.path.join(directory, name)) for name in names
                 if (name == CONFIG_FILE or name.startswith(CHECKPOINT_PREFIX + "."))
                 and os.path.isfile(os.path.join(directory, name))}
        self._call("restore", files, str(directory))

    def export_generator(self, path: str | os.PathLike) -> str:
        """Save the generator alone as a ``.keras`` file at ``path``."""
        if not str(path).endswith(".keras"):
            raise InputError(f"export_generator: the path must end in .keras; got {path}.")
        return _write(path, self._call("export", "export_generator", ".keras"))

    def timelapse(self, path: str | os.PathLike) -> str:
        """Write the preview grids drawn so far as an animated GIF at ``path``."""
        return _write(path, self._call("export", "timelapse", ".gif"))

    def close(self) -> None:
        """Kill the actor (its trainer's memory goes with its process). Afterwards ``step``, ``epoch``
        and ``history`` give their last values (fetched here, waiting at most ``CLOSE_WAIT_S`` for a
        step in progress) and everything else raises InputError, as a closed GanTrainer does."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._step, self._history = ray.get(self._actor.state.remote(), timeout=CLOSE_WAIT_S)
        except Exception:  # a step still running, or the actor already gone: keep the last values seen
            pass
        ray.kill(self._actor, no_restart=True)

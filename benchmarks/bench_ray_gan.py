"""DCGAN trainer on Ray (issue #16): what the actor costs next to a trainer in this process.

On a loopback Ray cluster started inside this process (:func:`genart.compute.ray_runs.start_local`,
127.0.0.1 only), side by side with a :class:`~genart.gan.GanTrainer` in the same process:

1. First frame of Train: building the trainer until its first frame arrives. On Ray, in a new
   actor (a worker process that imports TensorFlow, then builds the networks; timed twice), and in
   the spare actor that waits with TensorFlow imported (``GENART_RAY_SPARE_TRAINER``). Locally,
   the first trainer in this process (TensorFlow already imported) and a second one.
2. Seconds per training step: one epoch on the remote trainer, one on the local one, alternating
   (``--blocks`` times) so other load hits both alike; the median of the blocks' seconds per step
   (the first block is left out: it traces the step). Overhead = remote − local.
3. A "Play" round trip: ``samples(seed, 16)`` on each, median of 10.
4. The actor's resident memory after training (each idle trainer on the cluster is such a process).
5. Ray's own cost per streamed frame: an actor streaming frames of the same shape, computing nothing.

Run: ``python benchmarks/bench_ray_gan.py [--batch 16 64] [--blocks 6]``. Note ``uptime`` beside the
figures: timings taken while other work runs are noisy, the ratios less so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GENART_PRECISION", "float32")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genart.compute import ADDRESS_ENV, ray_runs  # noqa: E402
from genart.gan import GanConfig  # noqa: E402


def first_frame(make) -> float:
    """Seconds from ``make()`` to the first frame of its ``train(1)``; closes the trainer."""
    start = time.perf_counter()
    trainer = make()
    frames = trainer.train(1)
    next(frames)
    elapsed = time.perf_counter() - start
    frames.close()
    trainer.close()
    return elapsed


def resident_mib(pid: int, kind: str = "Rss") -> float:
    """A process's resident memory (``Rss``) or its proportional share of it (``Pss``), from /proc (Linux)."""
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(kind + ":")) / 1024


def epoch_seconds_per_step(trainer) -> float:
    start, steps = time.perf_counter(), 0
    for frame in trainer.train(1):
        steps += 1
    return (time.perf_counter() - start) / steps


class Frames:
    """An actor that streams frames shaped like TrainerActor.train's, computing nothing: Ray's cost per frame."""

    def stream(self, n: int, grid: bool):
        import numpy as np

        small = np.zeros((122, 122, 3), np.uint8)  # the 4×4 grid of 28-px digits at 1×
        for step in range(1, n + 1):
            yield (small if grid else None), step, n, "epoch 1/1", {"gen_loss": 0.7, "disc_loss": 1.3}, step == n


def transport_ms(ray, n: int = 300) -> dict[bool, float]:
    """Milliseconds per streamed frame, without and with the 1× grid in every frame (median of 3)."""
    actor = ray.remote(num_cpus=0)(Frames).remote()
    out = {}
    for grid in (False, True):
        runs = []
        for _ in range(4):
            start = time.perf_counter()
            for ref in actor.stream.options(num_returns="streaming", _generator_backpressure_num_objects=4).remote(
                    n, grid):
                ray.get(ref)
            runs.append((time.perf_counter() - start) / n * 1000)
        out[grid] = statistics.median(runs[1:])
    ray.kill(actor)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--steps", type=int, default=20, help="steps per block (one epoch)")
    parser.add_argument("--transport-only", action="store_true", help="only part 5")
    args = parser.parse_args()

    os.environ[ADDRESS_ENV] = ray_runs.start_local(num_cpus=2)
    import ray

    from genart.compute import ray_trainer
    from genart.compute.ray_trainer import RemoteTrainer
    from genart.gan import GanTrainer

    print(f"load: {os.getloadavg()[0]:.2f} (1-min average)")
    if args.transport_only:
        ms = transport_ms(ray)
        print(f"5. Ray's cost per streamed frame: {ms[False]:.2f} ms (no new grid), {ms[True]:.2f} ms (with the grid)")
        return
    config = GanConfig(batch_size=args.batch[0], examples_per_epoch=args.batch[0] * args.steps, seed=0)
    local_first = [first_frame(lambda: GanTrainer(config)) for _ in range(2)]
    fresh = [first_frame(lambda: RemoteTrainer(config))]  # no spare yet: a new actor
    ray.get(ray_trainer._spare[0][1])  # the spare that the first Train started has imported TensorFlow
    spare = first_frame(lambda: RemoteTrainer(config))
    actor, _ = ray_trainer._spare.pop()  # without a spare, every Train is a new actor
    ray.kill(actor)
    os.environ[ray_trainer.SPARE_ENV] = "0"
    fresh.append(first_frame(lambda: RemoteTrainer(config)))
    os.environ.pop(ray_trainer.SPARE_ENV)
    print("\n1. Train → first frame (s)            first   second")
    print(f"   this process                       {local_first[0]:6.2f}  {local_first[1]:6.2f}")
    print(f"   Ray, a new actor                   {fresh[0]:6.2f}  {fresh[1]:6.2f}")
    print(f"   Ray, the spare actor (warmed up)           {spare:6.2f}")

    print("\n2. seconds per step       local     Ray   overhead  ratio Ray/local")
    for batch in args.batch:
        config = GanConfig(batch_size=batch, examples_per_epoch=batch * args.steps, seed=0)
        local, remote = GanTrainer(config), RemoteTrainer(config)
        times: dict[str, list[float]] = {"local": [], "ray": []}
        for _ in range(args.blocks):
            times["local"].append(epoch_seconds_per_step(local))
            times["ray"].append(epoch_seconds_per_step(remote))
        lo, re = (statistics.median(times[k][1:]) for k in ("local", "ray"))
        print(f"   batch {batch:<4}          {lo * 1000:6.1f} ms {re * 1000:6.1f} ms {(re - lo) * 1000:+6.1f} ms"
              f"   {re / lo:5.2f}")
        if batch == args.batch[-1]:
            play = {}
            for name, trainer in (("local", local), ("ray", remote)):
                trainer.samples(0, 16)
                runs = []
                for seed in range(10):
                    start = time.perf_counter()
                    trainer.samples(seed, 16)
                    runs.append(time.perf_counter() - start)
                play[name] = statistics.median(runs)
            print(f"\n3. samples(seed, 16): local {play['local'] * 1000:.1f} ms, Ray {play['ray'] * 1000:.1f} ms")
            pid = ray.get(remote._actor.__ray_call__.remote(lambda actor: os.getpid()))
            here = resident_mib(os.getpid())
            print(f"\n4. the actor's process: {resident_mib(pid):.0f} MiB resident, "
                  f"{resident_mib(pid, 'Pss'):.0f} MiB proportional (this process: {here:.0f} MiB)")
        local.close()
        remote.close()
    ms = transport_ms(ray)
    print(f"\n5. Ray's cost per streamed frame: {ms[False]:.2f} ms (no new grid), {ms[True]:.2f} ms (with the grid)")
    print(f"\nload: {os.getloadavg()[0]:.2f} (1-min average)")
    ray_runs.stop_local()


if __name__ == "__main__":
    main()

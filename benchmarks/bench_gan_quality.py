"""Steps to digits: how many training steps a DCGAN preset needs before its grid looks like real digits.

The judge is genart's live "looks like digits" meter (:mod:`genart.gan.meter`), with its protocol:

1. The 16 fixed preview samples of a run (``GanTrainer``'s preview noise for the seed: the tab's
   4×4 grid) are scored every ``--every`` steps by the project's digit classifier
   (``assets/digit_classifier.npz``): mean top-class confidence, and coverage (classes that some
   sample is confidently, p ≥ 0.5, the top class of).
2. The threshold is what real held-out digits score under the same protocol: the 10th percentile
   of 4 000 random 16-digit sets of the 1 000 held-out digits (stored with the classifier).
   A run "reaches digits" at the first check where both its confidence and coverage reach it.

Every candidate trains the tutorial's networks on the shipped 5 000 digits with
``gan_variants.VariantTrainer`` (the trainer's step, batches and seeds; ``--parity`` checks it
against ``GanTrainer``), with what may change around them: Adam's rates per network, β1, batch,
a learning-rate schedule, one-sided label smoothing, instance noise, and an EMA of the generator's
weights for the scored samples (training unchanged). For each candidate and seed it reports the
**step** at which the threshold is first reached (load-independent) and the training seconds then
(the steps alone: scoring and sampling excluded; on a loaded machine an upper bound). Seconds on a
quiet machine are steps × s/step, and ``--time-steps`` measures s/step per batch size (the fastest
of several rounds' medians; say the load). With an EMA, the raw generator is scored beside it at
the same checks, and each generator's samples are drawn two ways: in inference mode (batch norm's
moving statistics, as GanTrainer draws its grid) and with batch statistics (``gan_variants.MODES``);
``--after N`` trains N steps past the threshold and reports how many later checks still reach it.

Run: ``python benchmarks/bench_gan_quality.py`` (the presets tutorial, dcgan-paper and fast, seed 0),
``--candidates all --seeds 3`` (every candidate in ``CANDIDATES`` over seeds 0–2, one after
another), ``--candidates fast-ema99 b32-ema99``, ``--time-steps``, ``--meter-cost``,
``--precision bfloat16`` (every run in Keras' mixed_bfloat16), ``--simulate-bf16`` (float32 with
bfloat16's roundings, for a CPU without it), ``--json FILE`` (every check, for plots),
``--save-samples FILE.npz`` (the 16 samples of every mode every ``--save-every`` steps, default 100,
to look at or to score again with another classifier).

First sweep (2 vCPU AMD EPYC shared with other jobs, load average 4–14; 48 000 training examples
per run, about 60–70 s of training on a quiet machine at 0.096 s per batch-64 step): no candidate
reached the threshold (0.925 / 7) in any mode or seed. After 750 batch-64 steps the EMA grid
scored 0.70–0.75 confidence and 5–7 classes (seeds 0–2), the raw grid about the same; the EMA
grid's strokes are visibly cleaner. Batch 32 (1 500 steps, the same time): 0.64–0.81. One-sided
smoothing 0.1, a learning-rate decay from 4e-4, R1 (γ 1) and TTUR (G 1e-4, D 4e-4) were no better
on seed 0. Batch statistics (``-bs``) help only before step ~350.

Second run (2026-12-03, a quiet 2-vCPU Intel Xeon, ``--candidates fast-ema99 --seeds 3 --max-examples
256000 --every 20``): no seed reached the threshold in 4 000 steps (0.12 s/step); the last ten checks
averaged 0.72–0.82 confidence and 6–8.5 classes. The EMA grid reached 0.75 / 7 classes first at steps
500, 680 and 640 (raw: 660, 1 020, 620), hence the ``fast`` preset's EMA and ``genart.gan.DIGIT_STEPS``.

Third run (the same machine, ``--candidates fast-ema99 --seeds 3 --max-examples 96000 --every 20
--save-samples F --save-every 20``, float32 and ``--precision bfloat16``): bfloat16 0.073 s/step,
about 1.6× float32's; neither reached the threshold in 1 500 steps; scores at equal steps alike
(benchmarks/README.md). Re-scoring the saved samples with two more-augmented classifiers moved their line up
(0.936, 0.939 / 7) and the samples' scores no closer to it.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from gan_variants import Variant, VariantTrainer, check_simulation, parity  # noqa: E402

from genart.gan.data import load_shipped_subset  # noqa: E402
from genart.gan import PRESETS  # noqa: E402
from genart.gan.meter import SET_SIZE, DigitScore, load_meter, score_probabilities  # noqa: E402

V = Variant
#: Candidate presets (name → Variant); the tutorial's networks always, everything around them may change.
#: (With the EMA's warm-up, decays 0.99 and 0.999 average alike until step 890: (1 + t)/(10 + t) < 0.99.)
CANDIDATES = {
    "fast-ema99": V(ema=0.99),
    "ttur-g1e-4-d4e-4-ema99": V(g_lr=1e-4, d_lr=4e-4, ema=0.99),
    "b32-ema99": V(batch_size=32, ema=0.99),
    "b64-lr1e-4-ema99": V(g_lr=1e-4, d_lr=1e-4, ema=0.99),
    "lr4e-4-decay-ema99": V(g_lr=4e-4, d_lr=4e-4, lr_final=0.25, lr_steps=600, ema=0.99),
    "smooth0.1-ema99": V(smooth=0.1, ema=0.99),
    "noise0.1-ema99": V(noise=0.1, noise_steps=500, ema=0.99),
    "b128-lr4e-4-ema99": V(batch_size=128, g_lr=4e-4, d_lr=4e-4, ema=0.99),
    "b32-lr1e-4-ema99": V(batch_size=32, g_lr=1e-4, d_lr=1e-4, ema=0.99),
    "fast-ema999": V(ema=0.999),
    "r1-ema99": V(r1=1.0, ema=0.99),
    "r1-lr5e-4-ema99": V(g_lr=5e-4, d_lr=5e-4, r1=1.0, ema=0.99),
    "b32-r1-ema99": V(batch_size=32, r1=1.0, ema=0.99),
}


def presets() -> dict[str, Variant]:
    """genart's presets as variants (float32)."""
    return {name: Variant.of_config(config) for name, config in PRESETS.items()}


@dataclasses.dataclass
class Result:
    """One candidate trained with one seed: its checks and, per sampling mode, when it first reached."""

    name: str
    seed: int
    variant: Variant
    modes: tuple
    checks: list = dataclasses.field(default_factory=list)  # (step, train_s, {mode: DigitScore})
    reached: dict = dataclasses.field(default_factory=dict)  # mode → (step, train_s) of its first reaching check
    later: dict = dataclasses.field(default_factory=dict)  # mode → reached? at each check after that

    def at(self, step: int) -> dict:
        """The scores of the check at ``step``."""
        return next(c[2] for c in self.checks if c[0] == step)


def run(name: str, variant: Variant, images: np.ndarray, seed: int, meter, every: int, max_steps: int,
        after: int, trace: bool, keep: dict | None = None, keep_every: int = 100) -> Result:
    """Train ``variant`` with ``seed``, scoring every sampling mode every ``every`` steps, until a mode
    reaches the meter's threshold (then ``after`` steps more) or ``max_steps``. ``keep`` (if given)
    collects the samples of every mode every ``keep_every`` steps and at each mode's first reaching check."""
    trainer = VariantTrainer(variant, images, seed=seed)
    result = Result(name, seed, variant, trainer.modes)
    stop = max_steps
    while trainer.step < stop:
        trainer.advance(min(every, stop - trainer.step))
        samples = {mode: trainer.samples(mode) for mode in trainer.modes}
        scores = {mode: meter.score(x) for mode, x in samples.items()}
        result.checks.append((trainer.step, trainer.train_seconds, scores))
        for mode, score in scores.items():
            first = mode not in result.reached and meter.reached(score)
            if keep is not None and (trainer.step % keep_every == 0 or first):
                keep[f"{name}|{seed}|{mode}|{trainer.step}"] = samples[mode]
            if mode in result.reached:
                result.later.setdefault(mode, []).append(meter.reached(score))
            elif meter.reached(score):
                result.reached[mode] = (trainer.step, trainer.train_seconds)
                if len(result.reached) == 1:
                    stop = min(max_steps, trainer.step + after)
        if trace:
            print(f"  {name} seed {seed}: step {trainer.step} {trainer.train_seconds:.0f} s "
                  + " ".join(f"{m} {fmt(s)}" for m, s in scores.items())
                  + (f" REACHED {','.join(result.reached)}" if result.reached else ""), flush=True)
    del trainer
    gc.collect()
    return result


def fmt(score: DigitScore) -> str:
    return f"{score.confidence:.3f}/{score.coverage}"


def fmt_mean(scores: list[DigitScore]) -> str:
    """Mean confidence / mean coverage of several checks."""
    return f"{np.mean([s.confidence for s in scores]):.3f}/{np.mean([s.coverage for s in scores]):.1f}"


def over_time(result: Result, mode: str, every: int = 100) -> str:
    """Confidence/coverage of ``mode``'s samples every ``every`` steps."""
    return " ".join(fmt(c[2][mode]) for c in result.checks if c[0] % every == 0)


def report(results: list[Result], step_seconds: dict[int, float]) -> None:
    """The table: per candidate and sampling mode, steps (and quiet seconds) to the threshold per seed,
    median and worst; each mode's score at the first step any mode reached; later checks still reaching."""
    print("\n| candidate | settings | samples | steps to threshold per seed | median | worst | "
          "quiet s at median / worst | score (conf/cov) when the first mode reached | later checks reaching | "
          "mean of the last 10 checks per seed |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    inf = float("inf")
    show = lambda s: "—" if s == inf else str(s)  # noqa: E731
    for name in dict.fromkeys(r.name for r in results):
        rs = [r for r in results if r.name == name]
        v = rs[0].variant
        firsts = [min((s for s, _ in r.reached.values()), default=None) for r in rs]
        for mode in rs[0].modes:
            steps = [r.reached[mode][0] if mode in r.reached else None for r in rs]
            per_seed = ", ".join(str(s) if s is not None else f">{r.checks[-1][0]}" for s, r in zip(steps, rs))
            known = sorted(s if s is not None else inf for s in steps)
            median, worst = known[(len(known) - 1) // 2], known[-1]  # the lower median over an even count
            sps = step_seconds.get(v.batch_size)
            quiet = "" if sps is None else " / ".join("—" if s == inf else f"{s * sps:.0f}" for s in (median, worst))
            at = ", ".join(fmt(r.at(f)[mode]) if f is not None else "—" for r, f in zip(rs, firsts))
            later = ", ".join(f"{sum(r.later[mode])}/{len(r.later[mode])}" if r.later.get(mode) else "—" for r in rs)
            tail = ", ".join(fmt_mean([c[2][mode] for c in r.checks[-10:]]) for r in rs)
            print(f"| {name} | {v.describe()} | {mode} | {per_seed} | {show(median)} | {show(worst)} | {quiet} | "
                  f"{at} | {later} | {tail} |")
    print("\nSamples over time (confidence/coverage every 100 steps):")
    for r in results:
        for mode in r.modes:
            print(f"  {r.name} seed {r.seed} {mode}: {over_time(r, mode)}")


def time_steps(variants: list[Variant], images: np.ndarray) -> dict[int, float]:
    """Seconds per step for each batch size among ``variants`` (with an EMA if any has one)."""
    out = {}
    for batch in sorted({v.batch_size for v in variants}):
        ema = next((v.ema for v in variants if v.batch_size == batch and v.ema), None)
        precision = next(v.precision for v in variants if v.batch_size == batch)
        trainer = VariantTrainer(Variant(batch_size=batch, ema=ema, precision=precision), images)
        trainer.advance(3)  # tracing, warm-up
        out[batch] = trainer.time_steps()
        print(f"batch {batch}{' + EMA' if ema else ''} ({precision}): {out[batch]:.3f} s/step (fastest of 5 medians "
              f"of 10 steps; load average {os.getloadavg()[0]:.1f})", flush=True)
        del trainer
        gc.collect()
    return out


def meter_cost(meter, images: np.ndarray) -> None:
    """The meter's cost on 16 samples against a fast step (batch 64), side by side, and NumPy's."""
    from genart.gan.meter import logits, softmax, to_unit

    samples = np.random.default_rng(0).uniform(-1, 1, (SET_SIZE, 28, 28, 1)).astype(np.float32)
    trainer = VariantTrainer(Variant(), images)
    trainer.advance(3)

    def timed(fn, n):
        """(median wall seconds, median CPU seconds of this process) of ``n`` calls."""
        wall, cpu = [], []
        for _ in range(n):
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        return float(np.median(wall)), float(np.median(cpu))

    meter.score(samples)
    tf_s = timed(lambda: meter.score(samples), 200)
    np_s = timed(lambda: score_probabilities(softmax(logits(meter.weights, to_unit(samples)))), 200)
    step_s = timed(lambda: trainer.advance(1), 20)
    sample_s = timed(trainer.samples, 50)
    for label, i in (("wall-clock", 0), ("CPU time", 1)):
        print(f"{label}, medians: meter on 16 samples {tf_s[i] * 1e3:.2f} ms (tf.function) / {np_s[i] * 1e3:.2f} ms "
              f"(NumPy); drawing the 16 samples {sample_s[i] * 1e3:.1f} ms; a fast step (batch 64) {step_s[i]:.3f} s: "
              f"the meter costs {tf_s[i] / step_s[i]:.1%} of a step")
    print(f"(load average {os.getloadavg()[0]:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="*", default=None, help="genart presets to run (default: all three "
                        "unless --candidates is given)")
    parser.add_argument("--candidates", nargs="*", default=[], help="names from CANDIDATES, or 'all'")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per candidate (0, 1, …)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--every", type=int, default=10, help="steps between checks")
    parser.add_argument("--max-examples", type=int, default=96_000,
                        help="stop a run after this many training examples (steps × batch)")
    parser.add_argument("--after", type=int, default=0, help="steps to go on past the threshold")
    parser.add_argument("--precision", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--simulate-bf16", action="store_true", help="also run each with bfloat16's roundings")
    parser.add_argument("--parity", action="store_true", help="check the trainer against GanTrainer first")
    parser.add_argument("--time-steps", action="store_true", help="measure s/step per batch size")
    parser.add_argument("--meter-cost", action="store_true", help="time the meter against a step")
    parser.add_argument("--trace", action="store_true", help="print every check")
    parser.add_argument("--json", help="write every check to this file")
    parser.add_argument("--save-samples", help="write the samples every --save-every steps to this .npz")
    parser.add_argument("--save-every", type=int, default=100,
                        help="steps between saved samples (a multiple of --every)")
    args = parser.parse_args()

    import tensorflow as tf

    digits = load_shipped_subset()
    meter = load_meter()
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}; "
          f"threshold (real held-out digits, 10th percentile of 16-digit sets): confidence ≥ "
          f"{meter.threshold.confidence:.3f} and coverage ≥ {meter.threshold.coverage}", flush=True)
    if args.meter_cost:
        meter_cost(meter, digits.images)
    if args.parity:
        print(f"parity with GanTrainer (fast preset, 3 steps): largest |Δ| of a generator weight "
              f"{parity(PRESETS['fast'], digits.images):.2e}", flush=True)
    untrained = VariantTrainer(Variant(), digits.images)
    print(f"untrained generator: {fmt(meter.score(untrained.samples()))} (confidence/coverage)", flush=True)

    del untrained

    chosen = dict(presets()) if args.presets is None and not args.candidates else \
        {k: v for k, v in presets().items() if k in (args.presets or [])}
    names = list(CANDIDATES) if args.candidates == ["all"] else args.candidates
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        parser.error(f"unknown candidates {unknown}; choose from {', '.join(CANDIDATES)}")
    chosen.update({n: CANDIDATES[n] for n in names})
    if args.precision != "float32":
        chosen = {f"{n} ({args.precision})": dataclasses.replace(v, precision=args.precision)
                  for n, v in chosen.items()}
    if args.simulate_bf16:
        print(check_simulation(digits.images[:256]), flush=True)
        chosen.update({f"{n} (bf16 sim.)": dataclasses.replace(v, precision="bfloat16-simulated")
                       for n, v in list(chosen.items())})

    step_seconds = time_steps(list(chosen.values()), digits.images) if args.time_steps else {}
    results, keep = [], {} if args.save_samples else None
    for name, variant in chosen.items():
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            max_steps = args.max_examples // variant.batch_size
            r = run(name, variant, digits.images, seed, meter, args.every, max_steps, args.after, args.trace, keep,
                    args.save_every)
            results.append(r)
            where = (", ".join(f"{m} reached at step {s} ({t:.0f} s of training)" for m, (s, t) in r.reached.items())
                     or f"not reached by step {r.checks[-1][0]} ({r.checks[-1][1]:.0f} s)")
            print(f"{name} seed {seed}: {where}; load average {os.getloadavg()[0]:.1f}", flush=True)
    report(results, step_seconds)
    if keep:
        np.savez_compressed(args.save_samples, **keep)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([{"name": r.name, "seed": r.seed, "variant": dataclasses.asdict(r.variant),
                        "reached": {m: s for m, (s, _) in r.reached.items()},
                        "checks": [[c[0], c[1], {m: [sc.confidence, sc.coverage] for m, sc in c[2].items()}]
                                   for c in r.checks]} for r in results], fh)


if __name__ == "__main__":
    main()

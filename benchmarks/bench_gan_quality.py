"""Steps to digits: how many training steps a DCGAN preset needs before its grid looks like real digits.

The judge is genart's live "looks like digits" meter (:mod:`genart.gan.meter`), with its protocol:

1. The 16 fixed preview samples of a run (``GanTrainer``'s preview noise for the seed: the tab's
   4×4 grid) are scored every ``--every`` steps by the project's digit classifier
   (``assets/digit_classifier.npz``): mean top-class confidence, and coverage (classes that some
   sample is confidently, p ≥ 0.5, the top class of).
2. The threshold is what real held-out digits score under the same protocol: the 10th percentile
   of 4 000 random 16-digit sets of the 1 000 held-out digits (stored with the classifier).
   A run "reaches digits" at the first check where both its confidence and coverage reach it.

The presets and issue 30's ``CONFIG_CANDIDATES`` (any ``GanConfig``: genart's quick networks, a projected
discriminator, DiffAugment …) train with genart's own step (``gan_variants.ConfigTrainer``) on the
training split's digits (``--digits``); ``--marks`` reads both yardsticks, the meter and the Fréchet
distance (:mod:`genart.gan.frechet`), at seconds of training on the reference machine. Every one of
issue 22's ``CANDIDATES`` trains the tutorial's networks with
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

Run: ``python benchmarks/bench_gan_quality.py`` (every preset, seed 0),
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

Fourth run (2026-12-05, issue 30, ``--presets quick --seeds 3 --marks 30 60 120 300``, the same
machine shared with other work, load 1.4–8.5): the quick preset's EMA grid 0.63/7, 0.73/7, 0.73/8,
0.78/8 (median seed) and Fréchet 255, 126, 106, 45 at 30, 60, 120 and 300 reference seconds; no seed
reached the meter's line. ``fast``, the tutorial and fewer digits: benchmarks/README.md.
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
from gan_tables import Result, describe, fmt, load_results, report, report_marks  # noqa: E402
from gan_variants import ConfigTrainer, Variant, VariantTrainer, check_simulation, parity  # noqa: E402

from genart.gan.data import load_shipped_subset, shipped_split  # noqa: E402
from genart.gan import DEFAULT_PRESET, PRESETS, GanConfig, preset  # noqa: E402
from genart.gan.meter import SET_SIZE, load_meter, score_probabilities  # noqa: E402

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


#: Issue 30's candidates (name → GanConfig), trained with genart's own step (``ConfigTrainer``);
#: ``quick`` itself is a preset. The DiffAugment policy of all four transformations:
ALL_AUG = ("brightness", "contrast", "translation", "cutout")
QUICK = PRESETS["quick"]
CONFIG_CANDIDATES = {
    "quick-translation": dataclasses.replace(QUICK, augment=("translation",)),
    "quick-diffaugment": dataclasses.replace(QUICK, augment=ALL_AUG),
    "quick-projected": dataclasses.replace(QUICK, discriminator="projected"),
    "quick-projected-diffaugment": dataclasses.replace(QUICK, discriminator="projected", augment=ALL_AUG),
    "quick-projected-hinge": dataclasses.replace(QUICK, discriminator="projected", loss="hinge"),
    "quick-hinge-diffaugment": dataclasses.replace(QUICK, loss="hinge", augment=ALL_AUG),
    "quick-ttur": dataclasses.replace(QUICK, learning_rate=1e-4, d_learning_rate=4e-4),
    "quick-b32": dataclasses.replace(QUICK, batch_size=32),
    "quick-b128": dataclasses.replace(QUICK, batch_size=128, learning_rate=4e-4),
    "fast-projected": dataclasses.replace(PRESETS["fast"], discriminator="projected"),
}

#: Seconds of a ``fast`` float32 step (batch 64 + EMA) on a quiet 2-vCPU Intel Xeon with
#: avx512_bf16 (2026-12-03): the clock that turns the marks' seconds into steps.
REFERENCE_STEP_S = 0.12
#: A step's cost as a multiple of the ``fast`` float32 step, measured side by side in one process
#: (``--step-cost``; medians of 3 processes, README): float32 and bfloat16. A preset missing here is
#: timed at the start of its run.
STEP_COST = {
    "fast": {"float32": 1.0, "bfloat16": 0.62},
    "fast-ema99": {"float32": 1.0, "bfloat16": 0.62},  # the fast preset, as a Variant
    "tutorial": {"float32": 3.77},  # batch 256
    "quick": {"float32": 0.66, "bfloat16": 0.44},
    "quick-translation": {"float32": 0.64, "bfloat16": 0.46},
}
#: Seconds of training at which the yardsticks are read (on the reference machine).
MARKS = (30, 60, 120, 300)


def presets() -> dict[str, GanConfig]:
    """genart's presets (run in float32 unless ``--precision`` says otherwise)."""
    return dict(PRESETS)


def mark_steps(cost: float, marks=MARKS) -> dict[int, int]:
    """Mark (seconds on the reference machine) → the steps a preset whose step costs ``cost`` × fast's makes."""
    return {mark: max(1, int(round(mark / (REFERENCE_STEP_S * cost)))) for mark in marks}


def training_digits(digits, count: int) -> np.ndarray:
    """The images a run trains on: ``count`` ≤ 4 000 digits of the training split (the first of a fixed
    shuffle, so a smaller set is part of a larger one), or 5 000: the whole shipped sample, held-out
    digits included, as the app trains on it offline."""
    if count == len(digits.images):
        return digits.images
    train_idx, _ = shipped_split(len(digits.images))
    if not 1 <= count <= len(train_idx):
        raise SystemExit(f"--digits must be 1 … {len(train_idx)} (the training split) or {len(digits.images)}")
    return digits.images[train_idx[np.random.default_rng(1).permutation(len(train_idx))[:count]]]


def run(name: str, variant, images: np.ndarray, seed: int, meter, every: int, max_steps: int,
        after: int, trace: bool, keep: dict | None = None, keep_every: int = 100, yardstick=None,
        frechet_steps=(), marks: dict | None = None, until_marks: bool = False) -> Result:
    """Train ``variant`` (a Variant, or a GanConfig trained by genart's own step) with ``seed``, scoring
    every sampling mode every ``every`` steps, until a mode reaches the meter's threshold (then ``after``
    steps more) or ``max_steps`` (with ``until_marks``: to the last mark's step, reached or not). The
    Fréchet ``yardstick`` scores the shown samples (the first mode; 2 000 of them) at ``frechet_steps``
    and at the ``marks`` (mark → step). ``keep`` (if given) collects the samples of every mode every
    ``keep_every`` steps and at each mode's first reaching check."""
    from genart.gan.frechet import SAMPLES

    trainer = ConfigTrainer(variant, images, seed=seed) if isinstance(variant, GanConfig) else \
        VariantTrainer(variant, images, seed=seed)
    result = Result(name, seed, variant, trainer.modes, marks=dict(marks or {}))
    frechet_at = set(frechet_steps) | set(result.marks.values())
    frechet_noise = np.random.default_rng([seed, 5]).standard_normal((SAMPLES, 100)).astype(np.float32)
    stop = max(result.marks.values()) if until_marks and result.marks else max_steps
    checks = sorted({*range(every, stop + 1, every), *frechet_at, stop})
    while trainer.step < stop:
        trainer.advance(next(c for c in checks if c > trainer.step) - trainer.step)
        samples = {mode: trainer.samples(mode) for mode in trainer.modes}
        scores = {mode: meter.score(x) for mode, x in samples.items()}
        result.checks.append((trainer.step, trainer.train_seconds, scores))
        if yardstick is not None and trainer.step in frechet_at and isinstance(trainer, ConfigTrainer):
            drawn = np.concatenate([trainer.samples("ema" if "ema" in trainer.modes else "raw", frechet_noise[i:i + 500])
                                    for i in range(0, SAMPLES, 500)])
            result.frechet[trainer.step] = yardstick.distance(drawn)
        for mode, score in scores.items():
            first = mode not in result.reached and meter.reached(score)
            if keep is not None and (trainer.step % keep_every == 0 or first):
                keep[f"{name}|{seed}|{mode}|{trainer.step}"] = samples[mode]
            if mode in result.reached:
                result.later.setdefault(mode, []).append(meter.reached(score))
            elif meter.reached(score):
                result.reached[mode] = (trainer.step, trainer.train_seconds)
                if len(result.reached) == 1 and not until_marks:
                    stop = min(max_steps, trainer.step + after)
        if trace:
            frechet = f" Fréchet {result.frechet[trainer.step]:.1f}" if trainer.step in result.frechet else ""
            print(f"  {name} seed {seed}: step {trainer.step} {trainer.train_seconds:.0f} s "
                  + " ".join(f"{m} {fmt(s)}" for m, s in scores.items()) + frechet
                  + (f" REACHED {','.join(result.reached)}" if result.reached else ""), flush=True)
    del trainer
    gc.collect()
    return result


def step_cost(configs: dict[str, GanConfig], images: np.ndarray, rounds: int = 8, steps: int = 5) -> dict[str, float]:
    """Each config's step cost as a multiple of the ``fast`` float32 step, all trained side by side in
    this process, round by round (``steps`` steps each a round): the median of the per-round ratios."""
    reference = ConfigTrainer(dataclasses.replace(PRESETS["fast"], precision="float32"), images)
    trainers = {name: ConfigTrainer(config, images) for name, config in configs.items()}
    for trainer in [reference, *trainers.values()]:
        trainer.advance(3)  # tracing, warm-up
    ratios = {name: [] for name in trainers}
    for _ in range(rounds):
        before = reference.train_seconds
        reference.advance(steps)
        fast = reference.train_seconds - before
        for name, trainer in trainers.items():
            before = trainer.train_seconds
            trainer.advance(steps)
            ratios[name].append((trainer.train_seconds - before) / fast)
    out = {name: float(np.median(r)) for name, r in ratios.items()}
    print(f"step cost × fast float32 ({rounds} rounds of {steps} steps, load average {os.getloadavg()[0]:.1f}): "
          + ", ".join(f"{name} {ratio:.2f}" for name, ratio in out.items()), flush=True)
    return out


def time_steps(chosen: dict, images: np.ndarray) -> dict[str, float]:
    """Seconds per step of each candidate (name → Variant or GanConfig), in its precision."""
    out = {}
    for name, variant in chosen.items():
        trainer = ConfigTrainer(variant, images) if isinstance(variant, GanConfig) else VariantTrainer(variant, images)
        trainer.advance(3)  # tracing, warm-up
        out[name] = trainer.time_steps()
        print(f"{name}: {out[name]:.3f} s/step (fastest of 5 medians of 10 steps; load average "
              f"{os.getloadavg()[0]:.1f})", flush=True)
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
    parser.add_argument("--presets", nargs="*", default=None, help="genart presets to run (default: all of them "
                        "unless --candidates is given)")
    parser.add_argument("--candidates", nargs="*", default=[],
                        help="names from CANDIDATES (the tutorial's networks, issue 22) or CONFIG_CANDIDATES "
                        "(issue 30's levers), or 'all'")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per candidate (0, 1, …)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--digits", type=int, default=4000, help="train on this many digits of the training "
                        "split (1 … 4000), or on all 5000 shipped digits (held-out ones included)")
    parser.add_argument("--every", type=int, default=10, help="steps between checks")
    parser.add_argument("--max-examples", type=int, default=96_000,
                        help="stop a run after this many training examples (steps × batch)")
    parser.add_argument("--marks", type=int, nargs="*", default=None,
                        help=f"read both yardsticks at these seconds of training on the reference machine and "
                        f"run to the last, reached or not (e.g. {' '.join(map(str, MARKS))})")
    parser.add_argument("--frechet-every", type=int, default=0, help="also the Fréchet distance every N steps")
    parser.add_argument("--after", type=int, default=0, help="steps to go on past the threshold")
    parser.add_argument("--precision", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--simulate-bf16", action="store_true", help="also run each with bfloat16's roundings")
    parser.add_argument("--parity", action="store_true", help="check the trainer against GanTrainer first")
    parser.add_argument("--time-steps", action="store_true", help="measure s/step per candidate")
    parser.add_argument("--step-cost", action="store_true",
                        help="only measure each candidate's step against the fast float32 step, side by side")
    parser.add_argument("--meter-cost", action="store_true", help="time the meter against a step")
    parser.add_argument("--trace", action="store_true", help="print every check")
    parser.add_argument("--json", help="write every check to this file")
    parser.add_argument("--save-samples", help="write the samples every --save-every steps to this .npz")
    parser.add_argument("--save-every", type=int, default=100,
                        help="steps between saved samples (a multiple of --every)")
    parser.add_argument("--table", nargs="+", metavar="JSON", help="only print the marks table of these --json files")
    args = parser.parse_args()
    if args.table:
        report_marks(load_results(args.table))
        return

    import tensorflow as tf

    from genart.gan.frechet import floor_split, load_yardstick

    digits = load_shipped_subset()
    images = training_digits(digits, args.digits)
    meter, yardstick = load_meter(), load_yardstick()
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}; "
          f"threshold (real held-out digits, 10th percentile of 16-digit sets): confidence ≥ "
          f"{meter.threshold.confidence:.3f} and coverage ≥ {meter.threshold.coverage}; training on "
          f"{len(images)} digits ({'the whole shipped sample' if len(images) == len(digits.images) else 'training split'})",
          flush=True)
    train_idx, _ = shipped_split(len(digits.images))
    unseen = floor_split(train_idx)[1]
    print(f"Fréchet distance to the 1 000 held-out digits: {len(unseen)} real digits neither network saw "
          f"{yardstick.distance(digits.images[unseen]):.1f} (the floor); 2 000 random training digits "
          f"{yardstick.distance(digits.images[np.random.default_rng(3).permutation(train_idx)[:2000]]):.1f}",
          flush=True)
    if args.meter_cost:
        meter_cost(meter, images)
    if args.parity:
        print(f"parity with GanTrainer (fast preset, 3 steps): largest |Δ| of a generator weight "
              f"{parity(PRESETS['fast'], images):.2e}", flush=True)

    chosen = dict(presets()) if args.presets is None and not args.candidates else \
        {k: v for k, v in presets().items() if k in (args.presets or [])}
    known = {**CANDIDATES, **CONFIG_CANDIDATES}
    names = list(known) if args.candidates == ["all"] else args.candidates
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"unknown candidates {unknown}; choose from {', '.join(known)}")
    chosen.update({n: known[n] for n in names})
    chosen = {n: dataclasses.replace(v, precision=args.precision) for n, v in chosen.items()}
    if args.precision != "float32":
        chosen = {f"{n} ({args.precision})": v for n, v in chosen.items()}
    if args.simulate_bf16:
        print(check_simulation(images[:256]), flush=True)
        chosen.update({f"{n} (bf16 sim.)": dataclasses.replace(v, precision="bfloat16-simulated")
                       for n, v in list(chosen.items()) if isinstance(v, Variant)})
    configs = {n: v for n, v in chosen.items() if isinstance(v, GanConfig)}
    if args.step_cost:
        step_cost(configs, images)
        return

    untrained = ConfigTrainer(preset(DEFAULT_PRESET, precision="float32"), images)
    print(f"untrained generator ({DEFAULT_PRESET}): meter {fmt(meter.score(untrained.samples()))}, Fréchet "
          f"{yardstick.distance(untrained.samples(noise=np.random.default_rng(5).standard_normal((2000, 100)))):.1f}",
          flush=True)
    del untrained

    marks = {}
    if args.marks:
        missing = {n: c for n, c in configs.items() if args.precision not in STEP_COST.get(n.split(" (")[0], {})}
        measured = step_cost(missing, images) if missing else {}
        for name in [n for n in chosen if n in configs or args.precision in STEP_COST.get(n.split(" (")[0], {})]:
            cost = measured.get(name) or STEP_COST[name.split(" (")[0]][args.precision]
            marks[name] = mark_steps(cost, args.marks)
            print(f"{name}: a step costs {cost:.2f} × fast's float32 step; marks {args.marks} s = steps "
                  f"{list(marks[name].values())}", flush=True)
    step_seconds = time_steps(chosen, images) if args.time_steps else {}
    results, keep = [], {} if args.save_samples else None
    for name, variant in chosen.items():
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            max_steps = args.max_examples // variant.batch_size
            frechet_steps = range(args.frechet_every, max_steps + 1, args.frechet_every) if args.frechet_every else ()
            r = run(name, variant, images, seed, meter, args.every, max_steps, args.after, args.trace, keep,
                    args.save_every, yardstick, frechet_steps, marks.get(name), until_marks=bool(args.marks))
            results.append(r)
            where = (", ".join(f"{m} reached at step {s} ({t:.0f} s of training)" for m, (s, t) in r.reached.items())
                     or f"not reached by step {r.checks[-1][0]} ({r.checks[-1][1]:.0f} s)")
            print(f"{name} seed {seed}: {where}; load average {os.getloadavg()[0]:.1f}", flush=True)
    report(results, step_seconds)
    report_marks(results)
    if keep:
        np.savez_compressed(args.save_samples, **keep)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([{"name": r.name, "seed": r.seed, "settings": describe(r.variant), "marks": r.marks,
                        "digits": len(images),
                        "reached": {m: s for m, (s, _) in r.reached.items()},
                        "frechet": {str(k): v for k, v in r.frechet.items()},
                        "checks": [[c[0], c[1], {m: [sc.confidence, sc.coverage] for m, sc in c[2].items()}]
                                   for c in r.checks]} for r in results], fh)


if __name__ == "__main__":
    main()

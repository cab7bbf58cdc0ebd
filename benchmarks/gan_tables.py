"""The tables of ``bench_gan_quality.py``: one candidate's run (:class:`Result`), the marks table (both
yardsticks at seconds of training on the reference machine, per seed, median and worst), the
steps-to-threshold table, and :func:`load_results` to print them again from the runs' ``--json`` files
(``bench_gan_quality.py --table FILE …``; a file of a run on fewer digits names its count)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
from gan_variants import Variant

from genart.gan import GanConfig
from genart.gan.meter import DigitScore

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
    frechet: dict = dataclasses.field(default_factory=dict)  # step → Fréchet distance of the shown samples
    marks: dict = dataclasses.field(default_factory=dict)  # mark seconds → step

    def at(self, step: int) -> dict:
        """The scores of the check at ``step``."""
        return next(c[2] for c in self.checks if c[0] == step)


def fmt(score: DigitScore) -> str:
    return f"{score.confidence:.3f}/{score.coverage}"


def fmt_mean(scores: list[DigitScore]) -> str:
    """Mean confidence / mean coverage of several checks."""
    return f"{np.mean([s.confidence for s in scores]):.3f}/{np.mean([s.coverage for s in scores]):.1f}"


def over_time(result: Result, mode: str, every: int = 100) -> str:
    """Confidence/coverage of ``mode``'s samples every ``every`` steps."""
    return " ".join(fmt(c[2][mode]) for c in result.checks if c[0] % every == 0)


def describe(variant) -> str:
    """A short line of a candidate's settings (a Variant's, or a GanConfig's that differ from the tutorial's)."""
    if isinstance(variant, str):  # read back from --json
        return variant
    if isinstance(variant, Variant):
        return variant.describe()
    tutorial, parts = GanConfig(), []
    for field in ("batch_size", "learning_rate", "d_learning_rate", "beta_1", "ema_decay", "networks", "discriminator",
                  "loss", "augment", "precision"):
        value = getattr(variant, field)
        if value != getattr(tutorial, field):
            parts.append(f"{field} {'+'.join(value) if isinstance(value, tuple) else value}")
    return ", ".join(parts) or "the tutorial's"


def report_marks(results: list[Result]) -> None:
    """The yardsticks at the marks: per candidate, the meter (shown samples: confidence/coverage) and the
    Fréchet distance at each mark per seed, with the median and the worst seed."""
    marks = sorted({m for r in results for m in r.marks})
    if not marks:
        return
    print("\n| candidate | yardstick | " + " | ".join(f"{m} s (steps)" for m in marks) + " |")
    print("|---|---|" + "---|" * len(marks))
    for name in dict.fromkeys(r.name for r in results):
        rs = [r for r in results if r.name == name]
        mode = "ema" if "ema" in rs[0].modes else rs[0].modes[0]  # what the tab shows
        meter_cells, frechet_cells = [], []
        for m in marks:
            steps = {r.marks.get(m) for r in rs}
            scores = [next((c[2][mode] for c in r.checks if c[0] == r.marks.get(m)), None) for r in rs]
            distances = [r.frechet.get(r.marks.get(m)) for r in rs]
            if any(s is None for s in scores):
                meter_cells.append("—")
                frechet_cells.append("—")
                continue
            conf = [s.confidence for s in scores]
            order = np.argsort(conf)
            meter_cells.append(f"{', '.join(fmt(s) for s in scores)}; median {np.median(conf):.3f}/"
                               f"{int(np.median([s.coverage for s in scores]))}, worst {fmt(scores[order[0]])} "
                               f"({'/'.join(map(str, sorted(steps)))})")
            if all(d is not None for d in distances):
                frechet_cells.append(f"{', '.join(f'{d:.0f}' for d in distances)}; median {np.median(distances):.0f}, "
                                     f"worst {max(distances):.0f}")
            else:
                frechet_cells.append("—")
        print(f"| {name} | meter ({mode}) | " + " | ".join(meter_cells) + " |")
        print(f"| {name} | Fréchet | " + " | ".join(frechet_cells) + " |")


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
            sps = step_seconds.get(name)
            quiet = "" if sps is None else " / ".join("—" if s == inf else f"{s * sps:.0f}" for s in (median, worst))
            at = ", ".join(fmt(r.at(f)[mode]) if f is not None else "—" for r, f in zip(rs, firsts))
            later = ", ".join(f"{sum(r.later[mode])}/{len(r.later[mode])}" if r.later.get(mode) else "—" for r in rs)
            tail = ", ".join(fmt_mean([c[2][mode] for c in r.checks[-10:]]) for r in rs)
            print(f"| {name} | {describe(v)} | {mode} | {per_seed} | {show(median)} | {show(worst)} | {quiet} | "
                  f"{at} | {later} | {tail} |")
    print("\nSamples over time (confidence/coverage every 100 steps):")
    for r in results:
        for mode in r.modes:
            print(f"  {r.name} seed {r.seed} {mode}: {over_time(r, mode)}")



def load_results(paths: list[str]) -> list[Result]:
    """The runs written by ``--json`` to ``paths``, as Results (settings as text, no Variant); a run on
    other than 4 000 training digits is named with its count ("quick, 1000 digits")."""
    results = []
    for path in paths:
        with open(path) as fh:
            for r in json.load(fh):
                name = r["name"] if r.get("digits", 4000) == 4000 else f"{r['name']}, {r['digits']} digits"
                checks = [(step, seconds, {m: DigitScore(score[0], int(score[1])) for m, score in scores.items()})
                          for step, seconds, scores in r["checks"]]
                results.append(Result(name, r["seed"], r["settings"], tuple(checks[0][2]), checks,
                                      frechet={int(k): v for k, v in r["frechet"].items()},
                                      marks={int(k): v for k, v in r["marks"].items()}))
    return results

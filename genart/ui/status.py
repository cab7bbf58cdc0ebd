"""The status line under each streaming picture: stage, step, metrics, time so far and time left."""

from __future__ import annotations

from .progress import left_text
from .streaming import Tick


def status_line(tick: Tick, names: dict[str, str] | None = None) -> str:
    """``"octave 2/5 · step 140/500 · loss 1.234 · 12.3 s · ~1 min 05 s left"`` ("done" on the final frame).

    Metrics are shown by their key, or by the short name ``names`` gives it (the DCGAN's ``G``,
    ``D(x)`` …; None leaves it out); ``sec_per_step`` reads ``0.31 s/step``.
    """
    f, names = tick.frame, names or {}
    parts = [f.stage, f"step {f.step}/{f.total}"]
    parts += [f"{v:.2f} s/step" if k == "sec_per_step" else f"{names.get(k, k)} {_fmt(v)}"
              for k, v in f.metrics.items() if names.get(k, k) is not None]
    parts.append(f"{tick.elapsed:.1f} s")
    if f.final:
        parts.append(tick.note or "done")
    elif tick.remaining is not None:
        parts.append(left_text(tick.remaining))
    return " · ".join(parts)


def _fmt(v: float) -> str:
    a = abs(v)
    return f"{v:.3g}" if a == 0 or 1e-3 <= a < 1e4 else f"{v:.2e}"

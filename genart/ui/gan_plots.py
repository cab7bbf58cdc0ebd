"""The DCGAN tab's two live plots as long tables (step, value, series): the game (both losses and the
discriminator's scores) and the "looks like digits" meter's scores with real digits' line to reach;
and the line saying when digits usually appear."""

from __future__ import annotations

import pandas as pd

from ..estimate import estimate, format_duration
from ..gan import COSTING, DIGIT_STEPS, GanConfig
from ..gan.meter import judges, load_meter

#: The loss plot shows at most this many points per curve.
PLOT_POINTS = 400
#: Fixed colours, named in the plot's label (Gradio drops the legend of a plot that starts empty).
PLOT_COLORS = {"generator": "#4c78a8", "discriminator": "#f58518", "D(x)": "#54a24b", "D(G(z))": "#e45756"}
#: The plot's series: the two losses, and D's mean probability of "real" for real and generated images.
PLOT_SERIES = (("gen_loss", "generator"), ("disc_loss", "discriminator"), ("real_score", "D(x)"),
               ("fake_score", "D(G(z))"))
#: The "looks like digits" plot: the meter's score of each grid, and what real digits score (the line to reach).
DIGIT_COLORS = {"confidence": "#72b7b2", "classes ÷ 10": "#b279a2", "real digits: confidence": "#bab0ac",
                "real digits: classes ÷ 10": "#9d755d"}


def loss_table(history: dict) -> pd.DataFrame:
    """Long-format training view (step, value, series): both losses, D(x) and D(G(z)), thinned to about
    PLOT_POINTS steps. Losses and D's scores share one axis: both live around 0 … 1.5, and the
    game reads best in one picture (D(x) and D(G(z)) drifting towards each other as G catches up).
    A series a restored older checkpoint lacks is left out."""
    steps = history["step"]
    stride = max(1, -(-len(steps) // PLOT_POINTS))
    keep = list(range(len(steps) - 1, -1, -stride))[::-1]
    rows = [(steps[i], history[key][i], name) for key, name in PLOT_SERIES
            if len(history.get(key, ())) == len(steps) for i in keep]
    return pd.DataFrame(rows, columns=["step", "value", "series"])


def digits_table(trainer) -> pd.DataFrame | None:
    """Long-format view of the meter's scores (step, value, series): the grid's confidence and classes
    covered ÷ 10 at each preview, with real digits' threshold as two flat lines; None without a meter."""
    if not judges(trainer.config.dataset, trainer.image_shape):
        return None
    meter, digits = load_meter(), trainer.digits()
    steps = digits["step"]
    rows = [(s, c, "confidence") for s, c in zip(steps, digits["confidence"])]
    rows += [(s, k / 10, "classes ÷ 10") for s, k in zip(steps, digits["coverage"])]
    if steps:
        for s in (steps[0], steps[-1]):
            rows += [(s, meter.threshold.confidence, "real digits: confidence"),
                     (s, meter.threshold.coverage / 10, "real digits: classes ÷ 10")]
    return pd.DataFrame(rows, columns=["step", "value", "series"])


def digits_expectation(config: GanConfig) -> str:
    """What to expect of the default preset on MNIST: digit shapes after about :data:`DIGIT_STEPS` steps
    (measured by ``benchmarks/bench_gan_quality.py``), in seconds on this machine once a step is timed."""
    seconds = estimate(COSTING, config, epochs=1, num_examples=DIGIT_STEPS * config.batch_size,
                       fresh=False, measure=False).seconds
    here = f" (about {format_duration(seconds)} here)" if seconds else ""
    return (f"Digits usually take shape after about {DIGIT_STEPS} steps{here} and sharpen with more epochs "
            "(the meter's real-digit line was not reached in 5 minutes of training when measured).")

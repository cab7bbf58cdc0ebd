"""The app's header: the title, then one short line (``random weights · float32 · this machine``) that
opens onto the details: which weights and what to do when they are missing, each tab's precision and
why, where runs compute. The line and the details are read at each page load (a download, a failed
load or a precision measured since is said there)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .. import compute, precision
from ..models import weights_status, weights_summary

#: The algorithms whose precision the header reports (their tabs: DeepDream, style transfer, DCGAN).
ALGORITHMS = ("dream", "style", "gan")


def precision_words(algorithms=ALGORITHMS) -> str:
    """What ``auto`` computes in: ``float32``; ``bfloat16`` for dream and gan, ``float32`` for style when they
    differ; ``float32 for now`` while a tab's choice is still to be timed at its first run here."""
    policies = {a: precision.resolve("auto", a) for a in algorithms}
    dtypes: dict[str, list[str]] = {}
    for name, policy in policies.items():
        dtypes.setdefault(policy.dtype, []).append(name)
    if len(dtypes) == 1:
        words = next(iter(dtypes))
    else:
        words = ", ".join(f"{dtype} ({' and '.join(names)})" for dtype, names in dtypes.items())
    return words + (" for now" if any(p.provisional for p in policies.values()) else "")


def compute_words() -> str:
    """Where runs compute, in two words: ``this machine`` or ``a Ray cluster``."""
    return "a Ray cluster" if compute.on_ray() else "this machine"


def summary() -> str:
    """The header's one line: weights · precision · where runs compute (a part that cannot be read says
    so in its place, the details say why)."""
    parts = []
    for words in (weights_summary, precision_words, compute_words):
        try:
            parts.append(words())
        except Exception:  # a bad GENART_WEIGHTS or GENART_PRECISION, an unreachable cluster: see the details
            parts.append("see the details")
    return " · ".join(parts)


def weights_note() -> str:
    try:
        return f"**Weights:** {weights_status()}"
    except Exception as exc:  # a bad GENART_WEIGHTS value: show it instead of failing to start
        return f"**Weights:** {exc}"


def precision_note() -> str:
    try:
        return "**Precision:** " + precision.header_line().removeprefix("Precision: ")
    except Exception as exc:  # a bad GENART_PRECISION value: show it instead of failing to start
        return f"**Precision:** {exc}"


def compute_note() -> str:
    try:  # this process, or the Ray cluster of GENART_RAY_ADDRESS with its size
        return f"**Runs compute in:** {compute.where()}"
    except Exception as exc:  # an unreachable cluster: say so; each run then says it again
        return f"**Runs compute in:** {exc}"


@dataclass
class Header:
    """The header's components: the line (an accordion's label, ``#genart-summary``) and the details
    inside it (``#genart-weights``, ``#genart-precision``, ``#genart-compute``)."""

    details: gr.Accordion
    weights: gr.Markdown
    precision: gr.Markdown


def build_header() -> Header:
    """Lay out the title and the header's line with its details (closed) in the current Blocks."""
    gr.Markdown("# genart\nClassic generative art from the TensorFlow tutorials, computed live.")
    with gr.Accordion(summary(), open=False, elem_id="genart-summary") as details:
        weights = gr.Markdown(elem_id="genart-weights")
        precision_md = gr.Markdown(elem_id="genart-precision")
        gr.Markdown(compute_note(), elem_id="genart-compute")
    return Header(details, weights, precision_md)


def wire_header(demo: gr.Blocks, header: Header) -> None:
    """Read the line and the details again at each page load."""
    demo.load(lambda: (gr.Accordion(label=summary()), weights_note(), precision_note()),
              outputs=[header.details, header.weights, header.precision], api_name=False, show_progress="hidden")

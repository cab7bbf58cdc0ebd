"""The app's header (issue 32.5): one short line, weights · precision · where runs compute, with the
details (the three sentences it used to show as paragraphs) one click away."""

import pytest

from genart import precision
from genart.precision.policy import Policy
from genart.ui import header


def test_the_line_says_what_matters_in_a_few_words(monkeypatch):
    assert header.summary() == "random weights · float32 · this machine"  # the tests' settings
    monkeypatch.setenv("GENART_WEIGHTS", "resnet")  # a bad value: the line points at the details, which say why
    assert header.summary() == "see the details · float32 · this machine"
    assert "GENART_WEIGHTS must be" in header.weights_note()


def test_the_precision_words_group_the_tabs_and_say_when_not_decided_yet(monkeypatch):
    chosen = {"dream": "bfloat16", "style": "float32", "gan": "bfloat16"}

    def resolve(requested, algorithm, timer=None, provisional=False):
        return Policy(chosen[algorithm], requested, f"{chosen[algorithm]}: test", algorithm, provisional=provisional)

    monkeypatch.setattr(precision, "resolve", resolve)
    assert header.precision_words() == "bfloat16 (dream and gan), float32 (style)"
    chosen.update(style="bfloat16")
    assert header.precision_words() == "bfloat16"
    monkeypatch.setattr(precision, "resolve", lambda r, a: resolve(r, a, provisional=a == "gan"))
    assert header.precision_words() == "bfloat16 for now"


def test_the_header_is_the_line_and_closed_details_with_their_ids():
    import gradio as gr

    with gr.Blocks(analytics_enabled=False) as demo:
        parts = header.build_header()
        header.wire_header(demo, parts)
    assert parts.details.elem_id == "genart-summary" and parts.details.open is False
    assert parts.details.label == "random weights · float32 · this machine"
    inside = {child.elem_id for child in parts.details.children}
    assert inside == {"genart-weights", "genart-precision", "genart-compute"}
    compute = next(c for c in parts.details.children if c.elem_id == "genart-compute")
    assert compute.value == "**Runs compute in:** this process"

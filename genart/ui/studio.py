"""One studio instead of three notebooks: every result can go to another tab in one click.

The buttons sit under each tab's result and send its finished PNG (the picture at full quality,
not the streamed JPEG preview) to an input of the same or another tab, then switch to that tab:

* a dream → DeepDream's input again (dream the dream), style transfer's content or style image;
* a stylised picture (either method's) → DeepDream's input, or style transfer's start image (paint
  it further: the optimisation, from that picture);
* the DCGAN's samples → DeepDream's input.
"""

from __future__ import annotations

from typing import NamedTuple

import gradio as gr

from .dream import DreamTab
from .gan import GanTab
from .style import StyleTab
from .fast_style import OPTIMISATION

#: Brings the picture just sent into view (the buttons sit low on the page; the new tab keeps the scroll).
_SCROLL = ("() => setTimeout(() => document.getElementById('%s')?.scrollIntoView({block: 'center', "
           "behavior: 'smooth'}), 150)")
#: What a tab's result is called in the "nothing yet" sentence.
_RESULT = {"dream": "dream", "style": "stylised picture", "gan": "sample grid"}


class Target(NamedTuple):
    """Where a send-to button puts a picture: the tab id, the image input, extra control values."""

    tab: str
    image: gr.Image
    extra: tuple = ()   # (component, value) pairs set at the same time


def _sender(source: str, target: Target):
    def send(path):
        if not path:
            raise gr.Error(f"There is no finished {_RESULT[source]} to send yet: run it first (a stopped run "
                           "has no result to send).", print_exception=False)
        return (gr.Tabs(selected=target.tab), path, *(value for _, value in target.extra))
    return send


def add_send_buttons(tabs: gr.Tabs, dream: DreamTab, style: StyleTab, gan: GanTab) -> dict[str, gr.Button]:
    """Put the send-to buttons under each tab's result and wire them.

    Args:
        tabs: the app's ``gr.Tabs`` (a send switches to the target tab).
        dream, style, gan: what :func:`build_dream_tab` & co. returned.

    Returns:
        elem_id → button (``dream-send-dream``, ``dream-send-content``, …), for tests.
    """
    for result in (dream.png, dream.gif, style.png, style.gif, gan.png, gan.gif):
        result.interactive = False  # inputs of the events below, yet downloads only (no upload box)
    to_dream = Target("dream", dream.image)
    start_image = Target("style", style.init_image, ((style.init, "image"), (style.extras, gr.update(open=True)),
                                                     (style.method, OPTIMISATION)))
    plan = {
        ("dream", dream.results, dream.png): [
            ("dream-send-dream", "Dream it again", to_dream),
            ("dream-send-content", "→ Style: content", Target("style", style.content)),
            ("dream-send-style", "→ Style: style image", Target("style", style.style)),
        ],
        ("style", style.results, style.png): [
            ("style-send-init", "Paint it further (start image)", start_image),
            ("style-send-dream", "→ DeepDream input", to_dream),
        ],
        ("gan", gan.results, gan.png): [
            ("gan-send-dream", "→ DeepDream input", to_dream),
        ],
    }
    buttons = {}
    for (source, column, result), targets in plan.items():
        with column:
            with gr.Row(elem_id=f"{source}-send"):
                for elem_id, label, target in targets:
                    button = gr.Button(label, size="sm", elem_id=elem_id)
                    button.click(_sender(source, target), inputs=[result],
                                 outputs=[tabs, target.image, *(c for c, _ in target.extra)], api_name=False,
                                 show_progress="hidden").success(None, js=_SCROLL % target.image.elem_id)
                    buttons[elem_id] = button
    return buttons

"""The Gradio app: one module per tab, assembled by :func:`build_demo`.

* The tabs: :mod:`~genart.ui.dream`, :mod:`~genart.ui.style`, :mod:`~genart.ui.gan` each build
  theirs as layout (``<tab>_layout``: the components, in a dataclass), then wiring; satellites add
  parts (``dream_extras``: the channel explorer and zoom; ``fast_style``: the style tab's fast
  method and live mirror; ``gan_play``, ``gan_plots``, ``gan_data``).
* Shared by the tabs, one job each: ``inputs`` (uploads, numbers), ``user_errors`` (a sentence
  for the page), ``limits`` (the heavy slots, the per-run time limit), ``heavy`` (a run wired into
  them, stoppable at once), ``streaming`` (frames to the page), ``progress`` (the time left),
  ``status`` (the status line), ``downloads``, ``estimate_line``, ``precision_radio``, ``masks``
  (the mask painter), ``recipes`` (the recipe drop zone). No submodule is named like a name this
  module imports (``precision``, ``compute``): importing it would replace that name here.
* Across tabs: ``header`` (the one-line header and its details), ``studio`` (send-to buttons),
  ``gallery`` (the session's results), ``fairness`` (heavy jobs per session), ``server``
  (environment and warm-up, for ``app.py``).
"""

from __future__ import annotations

import os

import gradio as gr
from starlette.middleware import Middleware

from .. import compute
from ..dream import dream as dream_run  # not `dream`: genart.ui.dream (the tab) takes that name here
from ..dream.explorer import channel_sheet
from ..fast_style import paint
from ..gan import GanTrainer
from ..style import stylize
from .dream import build_dream_tab
from .fairness import SessionJobCap
from .gallery import build_gallery
from .gan import build_gan_tab
from .header import build_header, wire_header
from .studio import add_send_buttons
from .style import build_style_tab

#: Queue length app-wide; further requests get Gradio's clean "queue is full" message.
QUEUE_SIZE = 16
#: Largest upload accepted by the server.
MAX_FILE_SIZE = "25mb"

CSS = """
#genart-summary {font-size: 0.9em}
.genart-status textarea, .genart-status input {font-family: ui-monospace, monospace; font-size: 0.9em}
"""


def analytics_enabled() -> bool:
    """Gradio analytics stay off unless the operator sets GRADIO_ANALYTICS_ENABLED=True."""
    return os.environ.get("GRADIO_ANALYTICS_ENABLED", "False").strip().lower() in ("1", "true", "yes")


def build_demo() -> gr.Blocks:
    """Build the whole app (all tabs), queue configured, not launched.

    Imports Keras (and with it TensorFlow) first, in this thread: the backend imports them lazily,
    and two requests importing them for the first time at once (a DCGAN run and a page's estimate)
    can deadlock Python's import locks (seen: ``_DeadlockError`` in tensorflow.python.trackable).
    """
    import keras  # noqa: F401  (see the docstring)

    with gr.Blocks(title="genart", analytics_enabled=analytics_enabled(), delete_cache=(1800, 3600)) as demo:
        header = build_header()
        with gr.Tabs(elem_id="genart-tabs") as tabs:
            with gr.Tab("DeepDream", id="dream"):
                dream_tab = build_dream_tab(run=compute.streamed(dream_run), explore=compute.streamed(channel_sheet))
            with gr.Tab("Style transfer", id="style"):
                style = build_style_tab(run=compute.streamed(stylize), fast=compute.streamed(paint))
            with gr.Tab("DCGAN", id="gan"):
                gan = build_gan_tab(make_trainer=compute.trainer_factory(GanTrainer))
        add_send_buttons(tabs, dream_tab, style, gan)
        build_gallery(tabs, {"dream": (dream_tab.png, dream_tab.gif, [dream_tab.run]),
                             "style": (style.png, style.gif, [style.run, style.refine]),
                             "fast_style": (style.png, style.gif, [style.fast_run]),
                             "gan": (gan.png, gan.gif, gan.done)},
                      {"dream": dream_tab.restore, "style": style.restore, "gan": gan.restore})
        wire_header(demo, header)  # read at each page load: a download, a failure or a measurement since
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def launch_kwargs() -> dict:
    """Arguments for ``demo.launch``: loopback locally, all interfaces on Hugging Face Spaces."""
    on_spaces = bool(os.environ.get("SPACE_ID"))
    return dict(
        server_name="0.0.0.0" if on_spaces else os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        max_file_size=MAX_FILE_SIZE,
        css=CSS,
        show_error=True,
        app_kwargs={"middleware": [Middleware(SessionJobCap)]},  # at most 2 heavy jobs per session
    )

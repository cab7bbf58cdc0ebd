"""The tabs' "Precision" control: the choices this server offers for an algorithm, and a recipe's
recorded precision as a value of it. The policy itself is :mod:`genart.precision`'s."""

from __future__ import annotations

import gradio as gr

from .. import precision as precision_policy
from ..errors import InputError


def precision_radio(elem_id: str, exact: str, algorithm: str) -> gr.Radio:
    """The tab's "Precision" control: ``auto`` (what this server runs fastest for ``algorithm``, see
    the header) or the tutorials' exact ``float32``; ``bfloat16`` is offered only where the hardware
    runs it natively (emulated, it would hold the shared slot about eight times as long). ``exact``
    says which of the tab's settings are the tutorial's exact run ("with float32, the defaults are …")."""
    try:
        auto = precision_policy.resolve("auto", algorithm)  # never measures: what is decided so far
    except InputError:  # a bad GENART_PRECISION: the header says so; runs will too
        auto = None
    native = (auto is not None and auto.dtype == "bfloat16") or precision_policy.native_bf16()
    choices = ["auto", "float32"] + (["bfloat16"] if native else [])
    here = "auto cannot be resolved here" if auto is None else "auto is decided by timing the first run here" \
        if auto.provisional else f"auto is {auto.dtype} here"
    return gr.Radio(choices, value="auto", label="Precision", elem_id=elem_id,
                    info=f"Arithmetic of the network; {here}. float32: the tutorial's exact arithmetic ({exact}).")


def precision_value(radio: gr.Radio, recorded: str):
    """A recipe's recorded precision for ``radio``: itself when offered here, else ``auto``."""
    offered = [choice[1] if isinstance(choice, tuple) else choice for choice in radio.choices]
    return recorded if recorded in offered else "auto"

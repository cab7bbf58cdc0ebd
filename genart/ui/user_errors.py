"""Errors as the page shows them: a sentence for the user, the details in the server log."""

from __future__ import annotations

import logging

import gradio as gr

from ..errors import GenartError

log = logging.getLogger("genart")


def user_error(exc: BaseException) -> gr.Error:
    """The gr.Error to raise for ``exc``: its text when it is meant for users, a generic one otherwise."""
    if isinstance(exc, GenartError):
        return gr.Error(str(exc), print_exception=False)
    log.exception("unexpected error in a genart run")
    return gr.Error("Something went wrong on the server while running this; the details are in the "
                    "server log. Please try again, perhaps with a smaller image or fewer steps.",
                    print_exception=False)

"""This session's gallery: every finished result of one browser session, newest first.

Each entry is the gallery's own copy of a result's PNG (which carries its recipe) and time-lapse,
with a caption of what made it. The entries live in the session's ``gr.State``: no other session
can reach them, at most :data:`MAX_ITEMS` entries and :data:`MAX_BYTES` of files are kept (the
oldest go first, their files deleted), and everything is deleted when the session ends or after
an hour unused. Selecting an entry shows it with its downloads, switches to its tab and restores
that tab's controls through the tab's own recipe restore.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from typing import Mapping

import gradio as gr

from ..errors import GenartError
from ..recipe import read_recipe
from .downloads import out_path
from .recipes import Restore

#: Entries kept per session (the oldest are dropped past it).
MAX_ITEMS = 24
#: Bytes of files (PNGs and time-lapses) kept per session.
MAX_BYTES = 48 * 2**20
#: A session's gallery is deleted after this long without a new result (or when the session ends).
TTL_S = 3600
#: Tab ids (``gr.Tab(id=…)``) and names of the algorithms.
TAB_NAMES = {"dream": "DeepDream", "style": "Style transfer", "gan": "DCGAN", "fast_style": "Fast style transfer"}
#: The tab of an algorithm whose results another tab shows (the fast method lives in the style tab).
TAB_OF = {"fast_style": "style"}


@dataclass(frozen=True)
class Entry:
    """One finished result: the gallery's own files, what made it, and their size in bytes."""

    algorithm: str
    caption: str
    png: str
    gif: str | None
    nbytes: int


def caption(recipe: Mapping) -> str:
    """What made a result, in a line: ``"DeepDream · mixed3+mixed5 · 5 octaves × 20 steps · seed 0"``."""
    c, algorithm = recipe.get("config") or {}, recipe.get("algorithm")
    if algorithm == "dream":
        parts = ["+".join(c.get("layers") or ()), f"{c.get('octaves')} octaves × {c.get('steps_per_octave')} steps",
                 f"seed {c.get('seed')}"]
    elif algorithm == "style":
        styles = len((recipe.get("inputs") or {}).get("styles") or ()) or 1
        parts = [f"{c.get('optimizer')}, {c.get('steps')} steps", f"{c.get('max_dim')} px",
                 f"style 1e{_log10(c.get('style_weight'))} / content 1e{_log10(c.get('content_weight'))}"]
        parts += [f"{styles} styles"] if styles > 1 else []
    elif algorithm == "fast_style":
        parts = ["one pass", f"strength {c.get('strength', 1.0):g}", f"{c.get('max_dim')} px"]
    elif algorithm == "gan":
        run = recipe.get("run") or {}
        parts = [str(c.get("dataset")), f"{run.get('epochs', 0):g} epochs ({run.get('steps', 0)} steps)",
                 f"batch {c.get('batch_size')}", f"lr {c.get('learning_rate'):g}"]
    else:
        parts = []
    weights = ["random weights"] if recipe.get("weights") == "random" else []
    return " · ".join([TAB_NAMES.get(algorithm, str(algorithm)), *parts, *weights])


def _log10(value) -> str:
    return f"{math.log10(value):.1f}" if isinstance(value, (int, float)) and value > 0 else "?"


def _copy(path: str | None) -> str | None:
    """The gallery's own copy of a result file (a fresh folder, the same readable name)."""
    if not path or not os.path.isfile(path):
        return None
    copy = out_path(os.path.basename(path))
    shutil.copyfile(path, copy)
    return copy


def _delete(entry: Entry) -> None:
    for path in (entry.png, entry.gif):
        if path:
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)


def present(entries: list[Entry] | None) -> list[Entry]:
    """The entries whose files still exist (the server removes downloads after an hour)."""
    return [e for e in entries or [] if os.path.isfile(e.png)]


def add(entries: list[Entry] | None, algorithm: str, png: str | None, gif: str | None = None) -> list[Entry]:
    """``entries`` with the result ``png`` (and its time-lapse ``gif``) first, within the bounds.

    Args:
        entries: the session's entries, newest first (None: none yet).
        algorithm: ``"dream"``, ``"style"``, ``"fast_style"`` or ``"gan"``; the PNG's recipe must be of it.
        png: the result's PNG as the tab shows it (None: nothing finished; nothing is added).
        gif: the result's time-lapse, if any.

    Returns:
        A new list: the new entry first, then the older ones that fit in :data:`MAX_ITEMS` and
        :data:`MAX_BYTES`; the files of the entries left out are deleted.
    """
    entries = present(entries)
    if not png or not os.path.isfile(png):
        return entries
    try:
        text = caption(read_recipe(png, algorithm))
    except GenartError:
        return entries  # not a result of this tab (no recipe): nothing to keep
    png_copy, gif_copy = _copy(png), _copy(gif)
    size = sum(os.path.getsize(p) for p in (png_copy, gif_copy) if p)
    kept, total = [Entry(algorithm, text, png_copy, gif_copy, size)], size
    for entry in entries:
        if len(kept) < MAX_ITEMS and total + entry.nbytes <= MAX_BYTES:
            kept.append(entry)
            total += entry.nbytes
        else:
            _delete(entry)
    return kept


def forget(entries: list[Entry] | None) -> None:
    """gr.State delete_callback: delete the session's gallery files."""
    for entry in entries or []:
        _delete(entry)


def view(entries: list[Entry] | None) -> list[tuple[str, str]]:
    """The gr.Gallery value: (image, caption), newest first."""
    return [(e.png, e.caption) for e in present(entries)]


def build_gallery(tabs: gr.Tabs, results: Mapping[str, tuple[gr.File, gr.File, list]],
                  restores: Mapping[str, Restore]) -> gr.State:
    """Lay out the gallery (in the current Blocks) and wire every tab's finished results into it.

    Args:
        tabs: the app's ``gr.Tabs`` (selecting an entry switches to its tab).
        results: algorithm → (its result PNG component, its GIF component, the events after which
            a finished result is in them).
        restores: tab id → the tab's recipe restore (an algorithm of :data:`TAB_OF` uses its tab's).

    Returns:
        The session's gallery state.
    """
    state = gr.State([], time_to_live=TTL_S, delete_callback=forget)
    with gr.Accordion("This session's gallery", open=True, elem_id="gallery-box"):
        gr.Markdown("Every result of this browser session, newest first (only you see them; they are deleted "
                    f"when you close the page, after an hour, or past {MAX_ITEMS} results). Select one to see it "
                    "with its downloads and to restore the settings that made it.", elem_id="gallery-note")
        gallery = gr.Gallery(label="This session's results", columns=8, fit_columns=False, height=200, object_fit="contain",
                             allow_preview=True, interactive=False, elem_id="gallery")
        with gr.Row(equal_height=True):
            chosen = gr.Markdown("Nothing selected yet.", elem_id="gallery-chosen")
            png = gr.File(label="Result (PNG, with its recipe)", elem_id="gallery-png", height=90)
            gif = gr.File(label="Time-lapse (GIF)", elem_id="gallery-gif", height=90)

    for algorithm, (result_png, result_gif, events) in results.items():
        def keep(png_path=None, gif_path=None, entries=None, algorithm=algorithm):
            entries = add(entries, algorithm, png_path, gif_path)
            return entries, view(entries)

        for n, event in enumerate(events):
            event.success(keep, inputs=[result_png, result_gif, state], outputs=[state, gallery],
                          api_name=f"keep_{algorithm}" if n == 0 else False, api_visibility="undocumented",
                          show_progress="hidden")

    order = list(restores)
    controls = [c for algorithm in order for c in restores[algorithm].outputs]

    def select(entries, evt: gr.SelectData):
        shown = present(entries)
        if not isinstance(evt.index, int) or not 0 <= evt.index < len(shown):
            return (gr.skip(),) * (4 + len(controls))
        entry = shown[evt.index]
        tab = TAB_OF.get(entry.algorithm, entry.algorithm)
        updates = []
        for name in order:
            n = len(restores[name].outputs)
            updates += list(restores[name].fn(entry.png)) if name == tab else [gr.skip()] * n
        note = f"**{entry.caption}** — settings restored in the {TAB_NAMES[tab]} tab."
        return (gr.Tabs(selected=tab), note, entry.png, entry.gif, *updates)

    gallery.select(select, inputs=[state], outputs=[tabs, chosen, png, gif, *controls], api_name=False,
                   show_progress="hidden")
    return state

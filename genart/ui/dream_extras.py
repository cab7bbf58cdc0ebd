"""The DeepDream tab's extras: the channel explorer and the zoom animation, in one accordion.

The explorer dreams 16 channels of a layer from grey (one batch) into a contact sheet; clicking
a tile targets that channel in the tab's own controls. The zoom animation runs the tab's
settings, then zooms into the dream frame after frame, streaming the latest frame into the tab's
output and offering the animation as MP4 and GIF. Only adapters here: the math is in
:mod:`genart.dream.explorer` and :mod:`genart.dream.zoom`.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Callable, Iterator

import gradio as gr

from ..dream import COSTING, DreamConfig, dream, recipe_inputs
from ..dream.explorer import CHANNELS, ExplorerConfig, channel_range, channel_sheet, tile_at
from ..dream.zoom import record_zoom
from ..estimate import estimate
from ..export import Clip
from ..images import image_hw
from ..models import INCEPTION_LAYERS, weights_mode
from ..recipe import make_recipe
from .downloads import downloads, out_path
from .user_errors import user_error
from .estimate_line import estimate_line, wire_estimate
from .heavy import Stopper, heavy
from .inputs import as_number
from .status import status_line
from .streaming import run_facts, stream

_EXPLORER = ExplorerConfig()
_DEFAULT = DreamConfig()
#: The zoom animation's frames are kept at most this large (MP4 and GIF are made from them).
CLIP_MAX_DIM = 512
#: Frames a second of the zoom animation's MP4 and GIF.
ZOOM_FPS = 12
#: The zoom's own parameters, after the tab's in /dream_zoom's API, with the sliders' defaults.
ZOOM_PARAMS = (("zoom_frames", 20), ("zoom", _DEFAULT.zoom), ("zoom_steps", _DEFAULT.zoom_steps))


def _named_like(fn, prepare):
    """``fn`` (taking the tab's values, then the zoom's three) presented with ``prepare``'s parameter
    names and defaults followed by :data:`ZOOM_PARAMS`, so the API names them and all but the image
    are optional; unchanged when ``prepare`` takes ``*values``."""
    params = list(inspect.signature(prepare).parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return fn
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [p.replace(kind=kind) for p in params]
    params += [inspect.Parameter(name, kind, default=default) for name, default in ZOOM_PARAMS]
    fn.__signature__ = inspect.Signature(params)
    return fn


def picked_updates(sheet: dict | None, x: float, y: float, checked, has_targets: bool):
    """What a click at (x, y) on the sheet sets: (note, layers ticked, layer, mode, channels) updates."""
    index = tile_at(x, y, len(sheet["channels"]), sheet["size"]) if sheet else None
    if index is None:
        return (gr.skip(),) * 5
    layer, channel = sheet["layer"], sheet["channels"][index]
    ticked = [name for name in INCEPTION_LAYERS if name in set(checked or ()) | {layer}]
    where = ("the dream's channels are set to it" if has_targets
             else "its layer is ticked (channel targeting arrives with the tab's channel controls)")
    note = f"Picked channel **{channel}** of **{layer}**: {where}. Run the dream (or the zoom) to amplify it."
    return note, ticked, layer, "chosen", str(channel)


def _explorer_section(explore, stop: Stopper | None) -> tuple:
    """The explorer's controls, sheet and run event; returns (sheet image, sheet state, note, event)."""
    gr.Markdown("**Channel explorer**: what 16 channels of a layer respond to, each dreamt from grey. "
                "Click a tile to target its channel.")
    with gr.Row():
        layer = gr.Dropdown(list(INCEPTION_LAYERS), value=_EXPLORER.layer, label="Layer", elem_id="explorer-layer")
        first = gr.Number(value=0, precision=0, minimum=0, label="First channel", elem_id="explorer-first",
                          info=f"Shows this channel and the next 15 ({_EXPLORER.layer} has "
                          f"{CHANNELS[_EXPLORER.layer]}).")
        steps = gr.Slider(1, 100, value=_EXPLORER.steps, step=1, label="Steps", elem_id="explorer-steps")
        size = gr.Slider(80, 256, value=_EXPLORER.size, step=16, label="Tile size (px)", elem_id="explorer-size")
    run_btn = gr.Button("Explore 16 channels", elem_id="explorer-run")
    sheet = gr.Image(label="Channels (click one to target it)", format="jpeg", interactive=False,
                     elem_id="explorer-sheet", height=420)
    status = gr.Textbox(label="Explorer status", interactive=False, elem_id="explorer-status",
                        elem_classes=["genart-status"])
    note = gr.Markdown(elem_id="explorer-picked")
    state = gr.State(None)

    def run_explorer(layer=_EXPLORER.layer, first=0, steps=_EXPLORER.steps, size=_EXPLORER.size):
        try:
            channels = channel_range(str(layer), as_number(first, "first channel"))
            frames = explore(str(layer), channels, size=as_number(size, "tile size"),
                             steps=as_number(steps, "steps"))
            facts = {"layer": str(layer), "channels": list(channels), "size": as_number(size, "tile size")}
        except Exception as exc:
            raise user_error(exc) from None
        for tick in stream(frames):
            yield tick.frame.image, status_line(tick), facts

    event = heavy(run_btn.click, run_explorer, [layer, first, steps, size], [sheet, status, state], status,
                  stopper=stop, api_name="dream_explore")
    layer.change(lambda name: gr.update(info=f"Shows this channel and the next 15 ({name} has "
                                        f"{CHANNELS.get(name, 0)})."), inputs=[layer], outputs=[first],
                 api_name=False, show_progress="hidden")
    return sheet, state, note, event


def _zoom_section(run, inputs, prepare, output, status, png, stop: Stopper | None) -> tuple:
    """The zoom animation's controls, downloads and run event; returns (event, [frames, zoom, steps sliders])."""
    gr.Markdown("**Zoom animation**: dream with the settings above, then zoom in a little and dream "
                "again, frame after frame (the classic \"infinite zoom\").")
    with gr.Row():
        frames = gr.Slider(1, 120, value=20, step=1, label="Frames", elem_id="dream-zoom-frames")
        zoom = gr.Slider(1.0, 1.3, value=_DEFAULT.zoom, step=0.01, label="Zoom per frame", elem_id="dream-zoom")
        zoom_steps = gr.Slider(1, 100, value=_DEFAULT.zoom_steps, step=1, label="Steps per frame",
                               elem_id="dream-zoom-steps")
    run_btn = gr.Button("Run zoom animation", elem_id="dream-zoom-run")
    estimate_md = gr.Markdown(elem_id="dream-zoom-estimate")
    with gr.Row():
        mp4 = gr.File(label="Zoom animation (MP4)", elem_id="dream-zoom-mp4", height=90)
        gif = gr.File(label="Zoom animation (GIF)", elem_id="dream-zoom-gif", height=90)

    def config(args):
        """(image, config with the zoom's fields, run kwargs) from the tab's values and the zoom's three."""
        *values, frame_count, zoom_value, steps_value = args
        image, cfg, kwargs = prepare(*values)
        cfg = dataclasses.replace(cfg, zoom_frames=as_number(frame_count, "frames"),
                                  zoom=as_number(zoom_value, "zoom per frame"),
                                  zoom_steps=as_number(steps_value, "steps per frame"))
        return image, cfg, kwargs

    def run_zoom(*args):
        try:
            image, cfg, kwargs = config(args)
        except Exception as exc:
            raise user_error(exc) from None
        clip = Clip(max_dim=CLIP_MAX_DIM)
        frames = record_zoom(run(image, cfg, **kwargs), clip.add)
        for tick in stream(frames, estimate=estimate(COSTING, cfg, image_hw(image), measure=False)):
            files = (None, None, None)
            if tick.frame.final:
                recipe = make_recipe("dream", cfg, ran=tick.frame.facts, weights=weights_mode(), run=run_facts(tick),
                                     inputs=recipe_inputs(image, cfg, **kwargs))
                result, _ = downloads(tick.frame.image, None, f"dream-zoom-seed{cfg.seed}", recipe)
                files = (result, clip.save_mp4(out_path("dream-zoom.mp4"), ZOOM_FPS),
                         clip.save_gif(out_path("dream-zoom.gif"), ZOOM_FPS)) if len(clip) else (result, None, None)
            yield (tick.frame.image, status_line(tick), *files)

    outs = [output, status, png if png is not None else gr.File(visible=False), mp4, gif]
    event = heavy(run_btn.click, _named_like(run_zoom, prepare), [*inputs, frames, zoom, zoom_steps], outs, status,
                  stopper=stop, api_name="dream_zoom")

    def estimate_text(*args):
        def request():
            image, cfg, _ = config(args)
            return cfg, (image_hw(image),), {}
        return estimate_line(COSTING, request, suggest=False)  # the zoom's own sliders are what a user would turn

    wire_estimate(_named_like(estimate_text, prepare), [*inputs, frames, zoom, zoom_steps], estimate_md,
                  after=[event], api_name="dream_zoom_estimate")
    return event, [frames, zoom, zoom_steps]


def build_dream_extras(*, inputs: list, prepare: Callable, output, status, layers, stop: Stopper | None = None,
                       png=None, channel_layer=None, channel_mode=None, channels=None,
                       run: Callable[..., Iterator] = dream, explore: Callable[..., Iterator] = channel_sheet) -> list:
    """Lay out the explorer and the zoom animation in an accordion and wire them to the DeepDream tab.

    Args:
        inputs: the tab's components whose values make a run (the input image first).
        prepare: ``prepare(*values) -> (image, DreamConfig, run kwargs)`` from those values; the zoom
            animation adds its fields to that config. /dream_zoom's API takes prepare's parameters
            (names and defaults), then ``zoom_frames``, ``zoom`` and ``zoom_steps``.
        output, status: the tab's streaming image and status line (the zoom streams there).
        layers: the tab's layers CheckboxGroup (a picked channel ticks its layer).
        stop: the tab's :class:`~genart.ui.heavy.Stopper` (its Stop ends these runs too); png: the tab's
            result file.
        channel_layer, channel_mode, channels: the tab's channel controls (``#dream-channel-layer``,
            ``#dream-channel-mode``, ``#dream-channels``) that a picked tile sets, when the tab has them.
        run, explore: the backend generators (tests inject others).

    Returns:
        The zoom's frames, zoom and steps sliders (a recipe restores them).
    """
    with gr.Accordion("Channel explorer and zoom animation", open=False, elem_id="dream-extras"):
        sheet, state, note, explore_event = _explorer_section(explore, stop)
        zoom_event, zoom_sliders = _zoom_section(run, inputs, prepare, output, status, png, stop)

    targets = [channel_layer, channel_mode, channels]
    has_targets = all(t is not None for t in targets)

    def pick(sheet_facts, checked, evt: gr.SelectData):
        x, y = evt.index
        updates = picked_updates(sheet_facts, x, y, checked, has_targets)
        return [u for u, t in zip(updates, [note, layers, *targets]) if t is not None]

    sheet.select(pick, inputs=[state, layers], outputs=[t for t in [note, layers, *targets] if t is not None],
                 api_name=False, show_progress="hidden")
    return zoom_sliders

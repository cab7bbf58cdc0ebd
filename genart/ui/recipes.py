"""The recipe drop zone every tab has, and the helpers its restore uses: a genart PNG or JSON recipe
dropped there sets the tab's controls (each tab's ``wire_recipe_restore`` says how)."""

from __future__ import annotations

from typing import Callable, NamedTuple

import gradio as gr

from ..recipe import config_from_recipe, read_recipe
from .user_errors import user_error


class Restore(NamedTuple):
    """A tab's recipe restore, for reuse (the gallery): ``fn(png_or_json_path)`` → updates of ``outputs``."""

    fn: Callable
    outputs: list


def recipe_drop(tab: str) -> gr.File:
    """A compact "Recipe" accordion (``#<tab>-recipe-box``) with a drop zone for a genart PNG or JSON recipe (``#<tab>-recipe``)."""
    with gr.Accordion("Recipe", open=False, elem_id=f"{tab}-recipe-box"):
        return gr.File(label="Drop a PNG made by genart (or a JSON recipe) to restore these settings",
                       file_types=[".png", ".json"], type="filepath", height=90, elem_id=f"{tab}-recipe")


def load_recipe(path, algorithm: str):
    """(recipe, config) from a dropped file, or a gr.Error with a sentence saying what is wrong."""
    if not path:
        raise gr.Error("Drop a PNG made by genart or a JSON recipe.", print_exception=False)
    try:
        recipe = read_recipe(str(path), algorithm)
        return recipe, config_from_recipe(recipe)
    except Exception as exc:
        raise user_error(exc) from None


def slider_value(slider: gr.Slider, value):
    """An update setting ``slider`` to ``value``, widening its range when the value lies outside it."""
    return gr.update(value=value, minimum=min(slider.minimum, value), maximum=max(slider.maximum, value))


def restored_note(recipe: dict, not_shown: list[str]) -> None:
    """Tell the user the settings were restored, which inputs made the picture, and what the tab cannot show."""
    inputs = "; ".join(f"{name} {', '.join(v) if isinstance(v, list) else v}"
                       for name, v in (recipe.get("inputs") or {}).items())
    weights = f" with {recipe['weights']} weights" if recipe.get("weights") else ""
    gr.Info(f"Settings restored from a genart {recipe.get('genart', '?')} recipe{weights}."
            + (f" It was made from: {inputs}." if inputs else ""))
    if not_shown:
        gr.Warning(f"This tab has no control for {', '.join(not_shown)}; runs here use the tab's values.")


def differing(config, default, names) -> list[str]:
    """The ``names`` whose value in ``config`` differs from ``default`` (settings a tab cannot show)."""
    return [f"{name}={getattr(config, name)!r}" for name in names if getattr(config, name) != getattr(default, name)]

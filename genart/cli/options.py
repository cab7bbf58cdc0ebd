"""Command-line options generated from a config dataclass, so they never drift from it.

``--steps-per-octave 20`` sets ``DreamConfig.steps_per_octave``; the help text is the field's own
description from the class docstring's ``Attributes:`` section, with the default shown.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Sequence

PROG = "genart"


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``genart: error: …``."""

    def error(self, message):
        self.exit(2, f"{PROG}: error: {message} (see {self.prog} --help)\n")


# --- options generated from a config dataclass ----------------------------------------------------

def field_docs(cls) -> dict[str, str]:
    """Field name → its description, read from the ``Attributes:`` section of the class docstring."""
    docs: dict[str, str] = {}
    names: list[str] = []
    in_attributes = False
    for line in (inspect.getdoc(cls) or "").splitlines():
        if line.strip() == "Attributes:":
            in_attributes = True
        elif in_attributes and (m := re.match(r"^ {4}(\w[\w, ]*): (.*)$", line)):
            names = [name.strip() for name in m.group(1).split(",")]
            docs.update({name: m.group(2) for name in names})
        elif in_attributes and line.startswith(" " * 8) and names:
            docs.update({name: f"{docs[name]} {line.strip()}" for name in names})
        elif in_attributes and line.strip():
            break
    return docs


def _field_kind(hint) -> tuple[type, bool, bool]:
    """(element type, optional, sequence) of a config field's type hint."""
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional, hint = len(args) < len(typing.get_args(hint)), args[0]
    origin = typing.get_origin(hint)
    if origin in (tuple, list, Sequence):
        return typing.get_args(hint)[0], optional, True
    return hint, optional, False


def _value_parser(kind: type, optional: bool):
    def parse(text: str):
        if optional and text.strip().lower() == "none":
            return None
        return kind(text)

    parse.__name__ = kind.__name__  # argparse names it in "invalid int value: 'x'"
    return parse


def _show(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, (tuple, list)):
        return " ".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def add_config_options(parser: argparse.ArgumentParser, cls, defaults, *, skip: Sequence[str] = (),
                       title: str | None = None) -> None:
    """One option per field of ``cls`` (``--field-name``), defaults shown from ``defaults`` but not applied.

    Fields in ``skip`` get no option (another config's option of the same name sets them too); ``title``
    names the group in ``--help`` (default: the class and "defaults are the tutorial's").
    """
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    group = parser.add_argument_group(title or f"settings ({cls.__name__}; defaults are the tutorial's)")
    for field in dataclasses.fields(cls):
        if field.name in skip:
            continue
        kind, optional, sequence = _field_kind(hints[field.name])
        flag = "--" + field.name.replace("_", "-")
        doc = docs.get(field.name, field.name).replace("``", "").rstrip(".")
        text = f"{doc} (default: {_show(getattr(defaults, field.name))})".replace("%", "%%")
        metavar = {int: "N", float: "X"}.get(kind, "NAME")
        if kind is bool:
            group.add_argument(flag, dest=field.name, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=text)
        else:
            group.add_argument(flag, dest=field.name, type=_value_parser(kind, optional), default=argparse.SUPPRESS,
                               nargs="+" if sequence else None, metavar=metavar, help=text)


def given(args: argparse.Namespace, cls) -> dict:
    """The config fields set on the command line (lists → tuples; ``none`` → None)."""
    given = {}
    for field in dataclasses.fields(cls):
        if hasattr(args, field.name):
            value = getattr(args, field.name)
            if isinstance(value, list):
                value = None if None in value else tuple(value)
            given[field.name] = value
    return given

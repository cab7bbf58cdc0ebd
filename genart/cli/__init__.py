"""The command line: ``python -m genart dream|style|gan …`` runs the app's generators in a terminal
(:mod:`genart.cli.main`: the parser; :mod:`genart.cli.options`: options generated from the configs;
:mod:`genart.cli.commands`: what each subcommand does; :mod:`genart.cli.fast`: ``style --method fast``;
:mod:`genart.cli.common`: what their runs share). This module only hands the names on.
"""

from .main import build_parser, main
from .options import add_config_options, field_docs

__all__ = ["add_config_options", "build_parser", "field_docs", "main"]

"""``python -m genart dream|style|gan …``: see :mod:`genart.cli`."""

from .cli import main

raise SystemExit(main())

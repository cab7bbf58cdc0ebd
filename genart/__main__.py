"""``python -m genart dream|style|gan …``: see :mod:`genart.cli`."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notes would bury the progress bar

from .cli import main  # noqa: E402

raise SystemExit(main())

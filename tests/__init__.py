"""genart's tests, one folder per package (tests/dream/ for genart/dream, …), tests/browser/ for Playwright.

Shared fixtures are in the conftest.py files (tests/conftest.py: pictures, the app server, the Ray cluster;
tests/browser/conftest.py: the browser and its pages), shared functions in tests/helpers.py and
tests/browser/helpers.py; test modules import from those, never from each other. Markers (pyproject.toml):
``browser`` and ``ray`` are put on by tests/conftest.py, ``slow`` is written on the test. The quick loop:
``python -m pytest -m "not slow and not browser and not ray"``; CI runs everything: ``python -m pytest tests``.
"""

import os

#: The repository's root (the folder holding genart/ and tests/).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

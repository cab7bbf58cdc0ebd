"""genart's tests, one folder per package (tests/dream/ for genart/dream, …), tests/browser/ for Playwright."""

import os

#: The repository's root (the folder holding genart/ and tests/).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

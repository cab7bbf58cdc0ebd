"""The documentation holds together: the README stays a short front door with the commands CI and
newcomers run, every relative link in README.md, docs/*.md and benchmarks/README.md reaches a file
(and, with a #fragment, a heading there), and the files the guides name exist.
"""

import glob
import os
import re
from collections import Counter

import pytest

from tests import ROOT

README = os.path.join(ROOT, "README.md")
PAGES = [README, os.path.join(ROOT, "benchmarks", "README.md"), *sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))]

#: ``[text](target)`` and ``![alt](target)``, optionally with a "title"; nested ``[![…](img)](link)`` yields both.
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
#: Paths of the repository as the guides write them in backticks: `genart/ui/progress.py`, `assets/x.jpg`.
NAMED_PATH = re.compile(r"`((?:genart|assets|benchmarks|tests|docs)/[\w./-]+\.(?:py|md|jpg|png|npz))`")


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def _prose(text: str) -> str:
    """The text without fenced code blocks and inline code spans (a ``](`` there is code, not a link)."""
    text = re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def _anchors(text: str) -> set[str]:
    """GitHub's heading anchors of a Markdown page: lower case, punctuation dropped, spaces → hyphens,
    a repeated heading numbered (-1, -2 …)."""
    seen, anchors = Counter(), set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.sub(r"^```.*?^```", "", text, flags=re.S | re.M),
                              flags=re.M):
        heading = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return anchors


def _links(path: str) -> list[str]:
    return LINK.findall(_prose(_read(path)))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: os.path.relpath(p, ROOT))
def test_every_relative_link_resolves(page):
    assert os.path.isfile(page)
    broken = []
    for target in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, flags=re.I):  # https:, mailto: …: not ours to check
            continue
        path, _, fragment = target.partition("#")
        full = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not full.startswith(ROOT + os.sep) or not os.path.exists(full):
            broken.append(f"{target} (no such file)")
        elif fragment and full.endswith(".md") and fragment not in _anchors(_read(full)):
            broken.append(f"{target} (no heading #{fragment} in {os.path.relpath(full, ROOT)})")
    assert not broken, f"{os.path.relpath(page, ROOT)}: broken links: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: os.path.relpath(p, ROOT))
def test_files_the_guides_name_exist(page):
    missing = sorted({name for name in NAMED_PATH.findall(_read(page)) if not os.path.exists(os.path.join(ROOT, name))})
    assert not missing, f"{os.path.relpath(page, ROOT)} names files that are not there: {missing}"


def test_the_readme_is_a_short_front_door_with_the_commands():
    text = _read(README)
    lines = text.splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move detail into docs/"
    # the Hugging Face Spaces front matter comes first
    assert lines[0] == "---" and "app_file: app.py" in lines[: lines.index("---", 1)]
    assert "python app.py" in text
    assert "pip install -r requirements-dev.txt && python -m pytest tests" in text  # CI runs it (.ci/run)
    assert 'python -m pytest -m "not slow and not browser and not ray"' in text  # the quick loop
    assert "docs/" in text and "benchmarks/README.md" in text


def test_every_guide_is_reachable_from_the_readme_or_the_index():
    linked = set()
    for page in (README, os.path.join(ROOT, "docs", "README.md")):
        linked |= {os.path.normpath(os.path.join(os.path.dirname(page), t.partition("#")[0])) for t in _links(page)}
    guides = set(glob.glob(os.path.join(ROOT, "docs", "*.md"))) - {os.path.join(ROOT, "docs", "README.md")}
    assert guides and not sorted(guides - linked), f"guides no page links to: {sorted(guides - linked)}"


def test_the_readmes_pictures_are_small_jpegs_and_say_random_weights():
    pictures = {t for t in _links(README) if t.lower().endswith((".jpg", ".jpeg", ".png"))}
    assert len(pictures) >= 3  # one per tab
    for picture in pictures:
        path = os.path.join(ROOT, picture)
        assert os.path.getsize(path) < 200_000, f"{picture} is {os.path.getsize(path):,} bytes"
    text = _read(README)
    for picture in pictures:  # random-weight output is labelled so, in its name and in the caption
        if "random" in picture:
            assert "**random weights**" in text or "**random, untrained weights**" in text

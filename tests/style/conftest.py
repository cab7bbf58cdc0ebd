"""Fixtures of the style-transfer tests: the network and a content picture, made once per test module."""

import pytest

from genart import models
from genart.style import CONTENT_LAYERS, STYLE_LAYERS
from tests import style_pictures


@pytest.fixture(scope="module")
def model():
    """Seeded random-weight VGG19 cut at the tutorial's style then content layers (built once per module:
    a module that counts the traces of its steps starts from a network no other module has run)."""
    return models.vgg19_extractor(STYLE_LAYERS, CONTENT_LAYERS, weights="random")


@pytest.fixture(scope="module")
def content():
    """``style_pictures.waves()``: 48×64 waves."""
    return style_pictures.waves()

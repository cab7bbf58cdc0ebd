"""genart: DeepDream, neural style transfer and a DCGAN, as generators of live frames.

The package never imports a UI toolkit. Each algorithm is a generator that yields
:class:`genart.frames.Frame` objects, so a notebook, a command line or the Gradio app
can drive it the same way::

    from genart.dream import DreamConfig, dream
    for frame in dream(image, DreamConfig(octaves=3)):
        ...
"""

__version__ = "0.1.0"

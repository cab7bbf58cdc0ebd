"""Batch jobs: one DeepDream or style config over many pictures, or over a video's frames.

``genart dream|style … --batch FOLDER_OR_GLOB --out DIR`` and ``… --video IN.mp4 --out DIR``
(:mod:`genart.cli`) come here. The shape of a batch:

1. The inputs: a folder's pictures (not its subfolders) or a glob's, by extension, sorted by name
   (:func:`list_inputs`); or a video's frames, read one by one with imageio's ffmpeg plugin, at
   most :data:`MAX_FRAMES` of them.
2. One output per input: ``DIR/<stem>.png`` (``DIR/frames/frame_00001.png`` … for a video), carrying
   its recipe like a single run's PNG. An output is written to ``<name>.part`` first and then renamed,
   so a finished output is whole; a re-run skips the outputs already there (resumable), and an
   interrupted one (only its ``.part`` left) is done again.
3. Each input runs to its final frame: in this process one after another (each written on a thread
   while the next one computes, unless the next starts from it), or on a Ray cluster
   (``--ray``), at most twice as many at once as the cluster has run slots, each written as it
   completes. A picture genart cannot use (an :class:`~genart.errors.InputError`) is reported by name
   with its sentence and the batch goes on; the summary names the failures and the exit status is 1.
4. A video ends as ``DIR/<stem>.mp4`` at the input's frame rate, made from the frames' PNGs.

Style video frames are chained: frame k starts from frame k-1's result (``init="image"``), a simple
way to keep consecutive frames consistent (the picture does not re-form from the content every frame,
so textures flicker less). That makes them sequential: on Ray they run one after another. DeepDream
frames and the fast style method's passes (``--method fast``: one pass of the arbitrary-style network
per frame) are independent and run in parallel on Ray; a fast video's frames are then made steady in
order where the batch runs (``--steady``: :class:`~genart.batch.tasks.SteadyFrames`, each frame's pass
blended with the previous result carried along the motion).

The package: :mod:`~genart.batch.jobs` (inputs, outputs, the run over them), :mod:`~genart.batch.tasks`
(what one input runs; the task bodies are module-level so that Ray ships them by reference),
:mod:`~genart.batch.video` (a video's frames) and :mod:`~genart.batch.cli` (the options). Nothing
here imports Ray or TensorFlow at import time. This module only hands the public names on.
"""


from .jobs import (IMAGE_EXTENSIONS, MAX_FILES, MAX_FRAMES, PART, Item, Report, RunFailed, file_items, is_done,
                   list_inputs, output_paths, run_items, write_png)
from .tasks import (SteadyFrames, Task, dream_frames, dream_task, fast_style_frames, fast_style_task, final_frame,
                    style_frames, style_task)
from .video import run_video

__all__ = ["IMAGE_EXTENSIONS", "MAX_FILES", "MAX_FRAMES", "PART", "Item", "Report", "RunFailed", "SteadyFrames",
           "Task", "dream_frames", "dream_task", "fast_style_frames", "fast_style_task", "file_items", "final_frame",
           "is_done", "list_inputs", "output_paths", "run_items", "run_video", "style_frames", "style_task",
           "write_png"]

"""The command line, in-process through main(argv) (and once as a real ``python -m genart``)."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from genart.cli import build_parser, field_docs, main
from genart.dream import DreamConfig
from genart.gan import GanConfig
from genart.fingerprints import image_digest
from genart.recipe import read_recipe
from genart.style import FAST, StyleConfig

from tests import ROOT
SMALL_DREAM = ["--layers", "mixed2", "--octaves", "2", "--steps-per-octave", "2", "--tile-size", "0",
               "--max-dim", "64"]


def stderr_lines(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_every_config_field_is_an_option_with_its_tutorial_default():
    subcommands = build_parser()._subparsers._group_actions[0].choices
    for name, cls in (("dream", DreamConfig), ("style", StyleConfig), ("gan", GanConfig)):
        options = {a.dest: a for a in subcommands[name]._actions}
        docs = field_docs(cls)
        for field in dataclasses.fields(cls):
            action = options[field.name]
            assert "--" + field.name.replace("_", "-") in action.option_strings
            assert field.name in docs and "(default: " in action.help, field.name
    help_text = subcommands["dream"].format_help()
    assert "--steps-per-octave N" in help_text and "ascent steps at each octave (default: 100)" in help_text
    assert "(default: mixed3 mixed5)" in " ".join(help_text.split())


def test_help_runs_as_a_module():
    env = {**os.environ, "PYTHONPATH": ROOT}
    result = subprocess.run([sys.executable, "-m", "genart", "style", "--help"], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "--style-weight X" in text and "(default: 0.01)" in text and "--preserve-colors, --no-preserve-colors" in text
    assert "--preset {tutorial,fast}" in text and "--recipe FILE" in text


def test_dream_writes_png_with_recipe_gif_and_shows_progress(tmp_path, style_files, capsys):
    out = tmp_path / "out.png"
    assert main(["dream", style_files[0], *SMALL_DREAM, "--seed", "5", "-o", str(out), "--gif", "--weights", "random"]) == 0
    captured = capsys.readouterr()
    assert captured.out.split() == [str(out), str(tmp_path / "out.gif")]
    assert "octave 2/2" in captured.err and "4/4" in captured.err and "loss" in captured.err  # the tqdm bar
    assert "genart: note: Random, untrained weights" in captured.err
    recipe = read_recipe(str(out), "dream")
    assert recipe["weights"] == "random" and recipe["inputs"] == {"image": image_digest(style_files[0])}
    # as JSON stores it: tuples as lists, ``auto`` precision as the dtype that ran (float32 in tests)
    defaults = json.loads(json.dumps(dataclasses.asdict(DreamConfig(precision="float32"))))
    assert recipe["config"] == {**defaults, "layers": ["mixed2"], "octaves": 2,
                                "steps_per_octave": 2, "tile_size": 0, "max_dim": 64, "seed": 5}
    assert Image.open(tmp_path / "out.gif").n_frames >= 2


def test_recipe_restores_settings_and_options_override_it(tmp_path, style_files, capsys):
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    assert main(["dream", style_files[0], *SMALL_DREAM, "--step-size", "0.03", "--seed", "8", "-o", str(first), "-q"]) == 0
    assert main(["dream", style_files[0], "--recipe", str(first), "--octaves", "1", "-o", str(second), "-q"]) == 0
    assert "octave" not in capsys.readouterr().err  # --quiet: no bar
    a, b = read_recipe(str(first))["config"], read_recipe(str(second))["config"]
    assert b == {**a, "octaves": 1} and b["step_size"] == 0.03 and b["seed"] == 8
    # the same recipe, nothing overridden: the same picture
    third = tmp_path / "third.png"
    assert main(["dream", style_files[0], "--recipe", str(first), "-o", str(third), "-q"]) == 0
    assert np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(third)))
    # another input than the recipe's: said on stderr
    other = tmp_path / "other.png"
    Image.fromarray(np.asarray(Image.open(style_files[0]))[:, ::-1]).save(other)
    assert main(["dream", str(other), "--recipe", str(first), "-o", str(third), "-q"]) == 0
    assert "the image differs from the recipe's" in capsys.readouterr().err


def test_style_with_two_styles_preset_and_json_recipe(tmp_path, style_files, capsys):
    content, style = style_files
    out = tmp_path / "painted.png"
    assert main(["style", content, style, style, "--preset", "fast", "--steps", "3", "--max-dim", "64",
                 "--blend", "1", "3", "--preserve-colors", "-o", str(out), "-q"]) == 0
    recipe = read_recipe(str(out), "style")
    # ``auto`` precision is recorded as the dtype that ran (float32 in tests)
    fast = json.loads(json.dumps(dataclasses.asdict(dataclasses.replace(FAST, precision="float32"))))
    assert recipe["config"] == {**fast, "steps": 3, "max_dim": 64, "blend": [1.0, 3.0], "preserve_colors": True}
    assert recipe["inputs"]["styles"] == [image_digest(style)] * 2
    small = tmp_path / "small.json"
    small.write_text(json.dumps({"algorithm": "style", "config": {"steps": 2, "max_dim": 64, "init": "noise"}}))
    again = tmp_path / "again.png"
    assert main(["style", content, style, "--recipe", str(small), "--no-preserve-colors", "-o", str(again), "-q"]) == 0
    cfg = read_recipe(str(again))["config"]
    assert (cfg["steps"], cfg["init"], cfg["preserve_colors"], cfg["scales"]) == (2, "noise", False, 1)


@pytest.mark.slow
def test_gan_trains_writes_grid_gif_checkpoint_and_recipe_epochs(tmp_path, capsys):
    out, ckpt = tmp_path / "gan.png", tmp_path / "ckpt"
    args = ["gan", "--batch-size", "16", "--examples-per-epoch", "32", "--preset", "dcgan-paper", "-q"]
    assert main([*args, "--epochs", "2", "-o", str(out), "--gif", "--checkpoint", str(ckpt)]) == 0
    recipe = read_recipe(str(out), "gan")
    assert recipe["run"]["steps"] == 4 and recipe["run"]["epochs"] == 2 and recipe["weights"] is None
    assert recipe["config"]["beta_1"] == 0.5 and recipe["config"]["examples_per_epoch"] == 32
    assert (tmp_path / "gan.gif").exists() and (ckpt / "genart_gan.json").exists()
    assert np.asarray(Image.open(out)).shape[2] == 3
    again = tmp_path / "again.png"
    assert main(["gan", "--recipe", str(out), "-o", str(again), "-q"]) == 0  # epochs from the recipe
    assert read_recipe(str(again))["run"]["steps"] == 4
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(again)))


@pytest.mark.parametrize("argv, status, message", [
    (["dream", "missing.jpg"], 1, "missing.jpg: no such file."),
    (["dream", "{content}", "--octaves", "50"], 1, "octaves must be a whole number from 1 to 10; got 50."),
    (["dream", "{content}", "--octaves", "x"], 2, "argument --octaves: invalid int value: 'x'"),
    (["dream", "{content}", "-o", "out.jpg"], 1, "--output must name a .png file"),
    (["dream", "{content}", "-o", "/no/such/folder/x.png"], 1, "does not exist"),
    (["dream", "{content}", "--recipe", "{style}"], 1, "This PNG carries no genart recipe"),
    (["dream", "{style}", "--max-dim", "64", "--tile-size", "0"], 1, None),
    (["style", "{content}", "{style}", "--recipe", "{junk}"], 1, "not a genart recipe"),
    (["style", "{content}", "{junk}", "--steps", "1"], 1, "The style image {junk} is not an image format"),
    (["gan", "--preset", "tutorial", "--recipe", "{junk}"], 2, "not allowed with argument"),
    (["gan", "--dataset", "cifar"], 1, "dataset must be one of mnist, fashion_mnist"),
    (["paint"], 2, "invalid choice: 'paint'"),
])
def test_bad_input_exits_non_zero_with_one_line(tmp_path, style_files, capsys, argv, status, message):
    junk = tmp_path / "junk.txt"
    junk.write_text("not a picture, not a recipe")
    argv = [a.format(content=style_files[0], style=style_files[1], junk=junk) for a in argv]
    if message is None:  # a valid run, as a control for the cases around it
        assert main([*argv, "-o", str(tmp_path / "ok.png"), "--steps-per-octave", "1", "-q"]) == 0
        return
    assert main(argv) == status
    message = message.format(junk=junk)
    lines = [line for line in stderr_lines(capsys) if not line.startswith("genart: note:")]
    assert len(lines) == 1 and lines[0].startswith("genart: error: ") and message in lines[0], lines


@pytest.mark.slow
def test_gan_until_digits_stops_when_the_meter_says_so(tmp_path, capsys, monkeypatch):
    """``--until-digits`` ends training at the first grid the digit meter finds real-looking (a stub here,
    satisfied at its third score), with --epochs as the limit; no meter (Fashion-MNIST) is one sentence."""
    from genart.gan import meter

    real = meter.load_meter()
    calls = []

    class Stub:
        threshold = real.threshold

        def score(self, samples):
            calls.append(len(samples))
            return real.score(samples)

        def reached(self, score):
            return len(calls) >= 3

    monkeypatch.setattr(meter, "load_meter", lambda path=None: Stub())
    out = tmp_path / "gan.png"
    args = ["gan", "--batch-size", "16", "--examples-per-epoch", "64", "--preview-every", "1", "--epochs", "5",
            "--until-digits", "-o", str(out), "-q"]
    assert main(args) == 0
    assert read_recipe(str(out), "gan")["run"]["steps"] == 3  # grids at steps 1, 2, 3: the third one reached
    assert "looked like digits at step 3" in capsys.readouterr().err
    monkeypatch.setattr(Stub, "reached", lambda self, score: False)
    assert main(args[:-3] + ["--epochs", "1", "-o", str(out), "-q"]) == 0
    assert read_recipe(str(out), "gan")["run"]["steps"] == 4 and "did not look like digits yet" in \
        capsys.readouterr().err
    assert main(["gan", "--dataset", "fashion_mnist", "--until-digits", "-q", "-o", str(out)]) == 1
    assert "--until-digits needs MNIST digits" in capsys.readouterr().err


def test_weights_option_holds_for_the_whole_run(monkeypatch, style_files):
    """``--weights random`` on a machine without GENART_WEIGHTS: the precision decision's timing run built the
    pretrained InceptionV3 (and tried to download it) before this; now every part of the run sees the option."""
    import importlib

    from genart import models

    cli_main = importlib.import_module("genart.cli.main")  # the module (genart.cli.main is also the function)

    seen = []
    monkeypatch.delenv(models.WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(cli_main, "run_dream", lambda args: seen.append(models.weights_mode()) or 0)
    assert main(["dream", style_files[0], "--weights", "random", "-q"]) == 0
    assert seen == ["random"] and models.WEIGHTS_ENV not in os.environ  # restored afterwards
    monkeypatch.setenv(models.WEIGHTS_ENV, "random")
    assert main(["dream", style_files[0], "--weights", "imagenet", "-q"]) == 0
    assert seen == ["random", "imagenet"] and os.environ[models.WEIGHTS_ENV] == "random"

"""The installable package: pyproject.toml lists every package and shipped file, takes its
dependencies from requirements.txt, and the command answers --help without TensorFlow.

CI (.ci/run) also runs ``pip install .`` in a fresh virtualenv and ``genart --help`` from another
folder; these tests keep pyproject.toml in step with the source tree between CI runs.
"""

import fnmatch
import os
import subprocess
import sys
import tomllib

import pytest

from tests import ROOT


@pytest.fixture(scope="module")
def pyproject() -> dict:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def test_every_package_under_genart_is_installed(pyproject):
    found = {os.path.relpath(folder, ROOT).replace(os.sep, ".")
             for folder, _, files in os.walk(os.path.join(ROOT, "genart")) if "__init__.py" in files}
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages in pyproject.toml"
    assert listed - found == {"genart.assets"}  # the repository's assets/, installed inside the package
    assert pyproject["tool"]["setuptools"]["package-dir"] == {"genart.assets": "assets"}


def test_every_shipped_file_in_assets_is_package_data(pyproject):
    globs = pyproject["tool"]["setuptools"]["package-data"]["genart.assets"]
    data = [name for name in os.listdir(os.path.join(ROOT, "assets")) if not name.endswith(".py")]
    missing = [name for name in data if not any(fnmatch.fnmatch(name, g) for g in globs)]
    assert not missing, f"assets not installed by pip install .: {missing}"
    assert {"mnist_5k.npz", "paintings.NOTICE.md", "hokusai-great-wave.jpg"} <= set(data)


def test_dependencies_are_requirements_txt_and_the_command_is_the_cli(pyproject):
    assert pyproject["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    assert set(pyproject["project"]["dynamic"]) == {"version", "dependencies", "optional-dependencies"}
    assert pyproject["tool"]["setuptools"]["dynamic"]["optional-dependencies"] == {"ray": {"file": ["requirements-ray.txt"]}}
    assert pyproject["project"]["scripts"] == {"genart": "genart.cli:main"}
    for name in ("requirements.txt", "requirements-ray.txt"):  # setuptools reads plain specifiers only
        with open(os.path.join(ROOT, name)) as f:
            lines = [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]
        assert lines and not [line for line in lines if line.startswith("-")], name


def test_ray_is_an_extra_not_a_requirement():
    with open(os.path.join(ROOT, "requirements.txt")) as f:
        assert not [line for line in f if line.strip().lower().startswith("ray")]
    with open(os.path.join(ROOT, "requirements-dev.txt")) as f:  # the tests start a loopback cluster
        assert "-r requirements-ray.txt" in f.read()


def test_assets_are_found_installed_or_in_a_checkout(tmp_path, monkeypatch):
    from genart import paths

    assert paths.asset("mnist_5k.npz") == os.path.join(ROOT, "assets", "mnist_5k.npz")  # this checkout
    installed = tmp_path / "genart"
    (installed / "assets").mkdir(parents=True)
    monkeypatch.setattr(paths, "_PACKAGE", str(installed))  # as site-packages/genart after pip install .
    assert paths.asset("mnist_5k.npz") == str(installed / "assets" / "mnist_5k.npz")


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


HELP_THEN_ERROR = """
import contextlib, io, sys
from genart.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()) as err:
    codes = [main(["--help"]), main(["dream", "--help"]), main(["dream"]), main(["style", "--steps", "many"])]
print(codes, "usage: genart" in out.getvalue(), "error:" in err.getvalue(), "tensorflow" in sys.modules)
"""


def test_help_and_argument_errors_do_not_import_tensorflow():
    configs = _run("import sys, genart.dream, genart.style, genart.gan; print('tensorflow' in sys.modules)")
    if configs.stdout.strip() != "False":
        pytest.skip("genart.dream/style/gan still import TensorFlow (their TF-free configs are not on this branch)")
    result = _run(HELP_THEN_ERROR)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[0,", "0,", "2,", "2]", "True", "True", "False"], result.stdout

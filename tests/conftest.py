import copy
import pathlib
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from harness import use_mocks  # noqa: E402  (mocks are set before any test imports the program)

_DEV = {k.split(":", 1)[1]: v for k, v in
        yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"].items() if "secure" not in str(v)}


@pytest.fixture
def monitor():
    return use_mocks()


@pytest.fixture
def dev():
    """The example environment's config (Pulumi.dev.yaml) as plain data, to use or vary."""
    return copy.deepcopy(_DEV)

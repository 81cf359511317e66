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


CLOUD_KEYS = ("openstack", "qos_specs", "volume_types", "images", "migration")


@pytest.fixture
def dev():
    """The example environment's Ceph RBD core (Pulumi.dev.yaml without its cloud and migration parts), as
    plain data to use or vary."""
    return {k: copy.deepcopy(v) for k, v in _DEV.items() if k not in CLOUD_KEYS}


@pytest.fixture
def dev_full():
    """The whole example environment."""
    return copy.deepcopy(_DEV)

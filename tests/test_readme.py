import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import reference  # noqa: E402


def test_readme_config_reference_is_current():
    readme = (ROOT / "README.md").read_text()
    assert reference.updated(readme) == readme, "README.md's config reference is stale: run `make reference`"
    assert "`ceph.pools[].allow_delete`" in readme

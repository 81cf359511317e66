import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import reference  # noqa: E402


def test_readme_config_reference_is_current():
    readme = (ROOT / "README.md").read_text()
    assert reference.updated(readme) == readme, "README.md's config reference is stale: run `make reference`"
    assert "`ceph.pools[].allow_delete`" in readme


def test_readme_is_a_users_document():
    """Short, and without the history: no commit hash, no measured seconds (those live in bench/README.md)."""
    import re
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 250, "README.md is 250 lines or more: move detail to docs/ or bench/"
    hashes = [w for w in re.findall(r"(?<![-\w])[0-9a-f]{7,40}(?![-\w])", readme) if re.search(r"[a-f]", w)
              and re.search(r"\d", w)]
    assert hashes == [], f"README.md names commits {hashes[:5]}: history belongs in bench/README.md"
    timings = re.findall(r"\b\d+(?:\.\d+)? ?(?:s|ms)\b(?! of)", readme)
    assert timings == [], f"README.md reports measurements {timings[:5]}: they belong in bench/README.md"

"""Write the stack config reference (from components/config.py's descriptions) into README.md."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from components.config import reference  # noqa: E402

BEGIN, END = "<!-- reference:begin -->", "<!-- reference:end -->"


def updated(readme: str) -> str:
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{reference()}\n{END}{tail}"


if __name__ == "__main__":
    path = ROOT / "README.md"
    path.write_text(updated(path.read_text()))
    print(f"updated {path}")

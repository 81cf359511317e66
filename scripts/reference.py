"""Write the stack config reference (from the typed config's own field descriptions) into README.md."""
import json
import pathlib
import sys

from pydantic import BaseModel

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from components.config import StackConfig  # noqa: E402

BEGIN, END = "<!-- reference:begin -->", "<!-- reference:end -->"


def reference() -> str:
    """Markdown reference of every key, from the models' own field descriptions."""
    rows: list[list] = []          # [keys, default, meaning, parent, has sub-keys]
    walked: dict[type, str] = {}   # a model's keys are listed once: a second use points at the first

    def walk(model: type[BaseModel], prefix: str):
        for name, f in model.model_fields.items():
            ann = f.annotation
            inner = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                inner = [ann]
            value = None if f.is_required() else f.get_default(call_default_factory=True)
            if f.is_required():
                default = "required"
            elif value is None:
                default = "unset"
            elif isinstance(value, BaseModel):
                default = "section"
            else:
                default = f"`{json.dumps(value, default=str)}`"
            meaning = f.description or ""
            again = [walked[sub] for sub in inner if sub in walked]
            if again:
                meaning = f"{meaning} Its keys are those of `{again[0]}`.".strip()
            rows.append([[f"{prefix}{name}"], default, meaning, prefix, bool(inner)])
            for sub in inner:
                if sub in walked:
                    continue
                item = "[]" if "list" in str(ann) else ("{}" if "dict" in str(ann) else "")
                walked[sub] = f"{prefix}{name}{item}"
                walk(sub, f"{prefix}{name}{item}.")
    walk(StackConfig, "")
    # Sibling keys with no description and the same default share a row.
    merged: list[list] = []
    for row in rows:
        last = merged[-1] if merged else None
        if (last and not row[2] and not last[2] and not row[4] and not last[4] and row[1] == last[1]
                and row[3] == last[3]):
            last[0] += row[0]
        else:
            merged.append(row)
    lines = [f"| {', '.join(f'`{k}`' for k in keys)} | {default} | {meaning} |"
             for keys, default, meaning, *_ in merged]
    lines.append("| `ssh_private_key` | required, secret | SSH private key for every host (`pulumi config set --secret`). |")
    lines.append("| `openstack_password` | secret, required with `openstack` | Password of `openstack.user_name`. |")
    lines.append("| `nova_ssh_private_key` | secret, required with `migration.nova_ssh_public_key` | "
                 "nova's SSH key for migrate/resize between computes. |")
    lines.append("| `migration_ca_key` | secret, required with `migration.ca_cert` | The migration CA's private key. |")
    lines.append("| `ssh_proxy_private_key` | secret, optional | SSH key for the bastions of `ssh.proxy`; unset: "
                 "`ssh_private_key`. |")
    return "| key | default | meaning |\n|---|---|---|\n" + "\n".join(lines)


def updated(readme: str) -> str:
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{reference()}\n{END}{tail}"


if __name__ == "__main__":
    path = ROOT / "README.md"
    path.write_text(updated(path.read_text()))
    print(f"updated {path}")

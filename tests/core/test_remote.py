"""The building block's own scripts (components/core/remote.py), run here with stand-in service managers on PATH: a
service restarts when a write changed one of its files or when it is not running, and only then."""
import os
import subprocess

import pytest

from components.core.remote import restart_script, wrap

MANAGERS = {   # a stand-in systemctl and supervisorctl: state in $STATE, every restart appended to $LOG
    "systemctl": """#!/bin/bash
case "$1" in
  restart) echo "restart $2" >> "$LOG"; echo active > "$STATE" ;;
  is-active) [ "$(cat "$STATE")" = active ] ;;
  is-failed) [ "$(cat "$STATE")" = failed ] ;;
  status) echo "status of $3" ;;
esac""",
    "supervisorctl": """#!/bin/bash
case "$1" in
  restart) echo "restart $2" >> "$LOG"; echo RUNNING > "$STATE" ;;
  status) echo "$2 $(cat "$STATE") pid 1" ;;
  tail) echo "log of $2" ;;
esac""",
}


def run(tmp_path, manager: str, state: str, changed: list[str]) -> tuple[subprocess.CompletedProcess, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in MANAGERS.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "state").write_text(state)
    log = tmp_path / "log"
    log.write_text("")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "STATE": str(tmp_path / "state"), "LOG": str(log)}
    r = subprocess.run(["bash", "-c", wrap(restart_script("nova-compute", manager, changed))], env=env,
                       capture_output=True, text=True, timeout=30)
    return r, log.read_text()


@pytest.mark.parametrize("manager,up,down", [("systemd", "active", "inactive"), ("supervisord", "RUNNING", "STOPPED")])
def test_restart_only_when_a_file_changed_or_the_service_is_down(tmp_path, manager, up, down):
    r, log = run(tmp_path, manager, up, [])
    assert r.returncode == 0 and log == "" and "not restarted" in r.stdout, (r.stdout, r.stderr)
    r, log = run(tmp_path, manager, down, [])
    assert r.returncode == 0 and log == "restart nova-compute\n", (r.stdout, r.stderr)
    r, log = run(tmp_path, manager, up, ["/etc/nova/nova.conf"])
    assert r.returncode == 0 and log == "restart nova-compute\n", (r.stdout, r.stderr)

"""The building block's own scripts (components/core/remote.py): a service restarts when a write changed one of its files
or when it is not running, and only then. systemd's restart runs against a stand-in systemctl on PATH; supervisord's
against a real supervisord (Debian's, which lab/install.sh installs) in a temporary directory."""
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from components.core.remote import restart_script, wrap

MANAGERS = {   # a stand-in systemctl: state in $STATE, every restart appended to $LOG
    "systemctl": """#!/bin/bash
case "$1" in
  restart) echo "restart $2" >> "$LOG"; echo active > "$STATE" ;;
  is-active) [ "$(cat "$STATE")" = active ] ;;
  is-failed) [ "$(cat "$STATE")" = failed ] ;;
  status) echo "status of $3" ;;
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


def test_restart_only_when_a_file_changed_or_the_service_is_down(tmp_path):
    manager, up, down = "systemd", "active", "inactive"
    r, log = run(tmp_path, manager, up, [])
    assert r.returncode == 0 and log == "" and "not restarted" in r.stdout, (r.stdout, r.stderr)
    r, log = run(tmp_path, manager, down, [])
    assert r.returncode == 0 and log == "restart nova-compute\n", (r.stdout, r.stderr)
    r, log = run(tmp_path, manager, up, ["/etc/nova/nova.conf"])
    assert r.returncode == 0 and log == "restart nova-compute\n", (r.stdout, r.stderr)


SUPERVISORD = shutil.which("supervisord")
needs_supervisord = pytest.mark.skipif(not SUPERVISORD, reason="supervisord is not installed (lab/install.sh)")
PROGRAMS = {
    "svc": "/bin/sleep 1000",
    # ignores SIGTERM as nova-compute 34 does: supervisord SIGKILLs it after stopwaitsecs
    "stubborn": "/bin/bash -c 'trap \"\" TERM; while :; do sleep 0.2 & wait; done'",
    "broken": "/bin/false",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def supervisor(request):
    """A real supervisord with three programs, its config where supervisorctl finds it from the working directory
    (a short one: a unix socket's path has at most 107 bytes). Parametrized "inet": it listens on loopback instead,
    with a password, as some operators' supervisord does."""
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix="sv-"))
    programs = "".join(f"[program:{name}]\ncommand={cmd}\nstartsecs=1\nstartretries=0\nstopwaitsecs=2\n"
                       f"autostart={'false' if name == 'broken' else 'true'}\n\n" for name, cmd in PROGRAMS.items())
    if getattr(request, "param", "unix") == "inet":
        # as supervisord reads them: an inline comment (Debian's config has them), a repeated key (the last one
        # counts), an environment variable
        request.getfixturevalue("monkeypatch").setenv("SV_TEST_PASSWORD", "not-a-secret")
        port, auth = free_port(), "username=nobody\nusername=ops\npassword=%(ENV_SV_TEST_PASSWORD)s ; a test's"
        server = (f"[inet_http_server]\nport=127.0.0.1:{port}\n{auth}\n\n"
                  f"[supervisorctl]\nserverurl=http://127.0.0.1:{port}\n{auth}")
    else:
        sock = tmp_path / "supervisor.sock"
        server = f"[unix_http_server]\nfile={sock}\n\n[supervisorctl]\nserverurl=unix://{sock}"
    (tmp_path / "supervisord.conf").write_text(f"""[supervisord]
nodaemon=true
logfile={tmp_path}/supervisord.log
pidfile={tmp_path}/supervisord.pid
childlogdir={tmp_path}

{server}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

{programs}""")
    proc = subprocess.Popen([SUPERVISORD, "-c", str(tmp_path / "supervisord.conf")], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if state(tmp_path, "svc")[0] == "RUNNING" and state(tmp_path, "stubborn")[0] == "RUNNING":
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"supervisord in {tmp_path} did not start its programs in 20 s")
        yield tmp_path, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(tmp_path)


def state(cwd, name: str) -> tuple[str, str]:
    """(state, pid) as `supervisorctl status` shows them; pid "" when it has none."""
    fields = subprocess.run(["supervisorctl", "status", name], cwd=cwd, capture_output=True, text=True,
                            timeout=10).stdout.split() + ["", "", ""]
    return fields[1], fields[3].rstrip(",") if fields[2] == "pid" else ""


def restart(cwd, name: str, changed: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", wrap(restart_script(name, "supervisord", changed))], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def cpu_ticks(pid: int) -> int:
    stat = open(f"/proc/{pid}/stat").read()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


@pytest.mark.host
@needs_supervisord
@pytest.mark.parametrize("supervisor", ["unix", "inet"], indirect=True)
def test_supervisord_restarts_only_when_a_file_changed_or_the_program_is_down(supervisor):
    """Over a unix socket, and over http with a password: the script finds both in supervisorctl's config itself."""
    cwd, _ = supervisor
    before = state(cwd, "svc")
    r = restart(cwd, "svc", [])
    assert r.returncode == 0 and "not restarted" in r.stdout and state(cwd, "svc") == before, (r.stdout, r.stderr)
    r = restart(cwd, "svc", ["/etc/svc.conf"])
    after = state(cwd, "svc")
    assert r.returncode == 0 and after[0] == "RUNNING" and after[1] != before[1], (r.stdout, r.stderr)
    subprocess.run(["supervisorctl", "stop", "svc"], cwd=cwd, capture_output=True, timeout=20)
    r = restart(cwd, "svc", [])
    assert r.returncode == 0 and state(cwd, "svc")[0] == "RUNNING", (r.stdout, r.stderr)


@pytest.mark.host
@needs_supervisord
def test_supervisord_stays_idle_while_a_program_ignoring_sigterm_stops(supervisor):
    """Until its stopwaitsecs (2 s) the program ignores SIGTERM; supervisorctl's own restart had supervisord spin a
    core all that time (about 200 ticks here), the script's restart leaves it idle."""
    cwd, pid = supervisor
    before, ticks = state(cwd, "stubborn"), cpu_ticks(pid)
    r = restart(cwd, "stubborn", ["/etc/stubborn.conf"])
    spent = cpu_ticks(pid) - ticks
    after = state(cwd, "stubborn")
    assert r.returncode == 0 and after[0] == "RUNNING" and after[1] != before[1], (r.stdout, r.stderr)
    assert spent < 50, f"supervisord used {spent} ticks of CPU during the restart"


@pytest.mark.host
@needs_supervisord
def test_a_program_that_does_not_come_back_fails_the_step_with_its_state(supervisor):
    cwd, _ = supervisor
    r = restart(cwd, "broken", ["/etc/broken.conf"])
    assert r.returncode == 1
    assert "broken did not come back after its restart on" in r.stderr and "(FATAL)" in r.stderr, r.stderr

"""`myotrack serve --demo` and `myotrack serve`, run as a user would, on 127.0.0.1 only."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from myotrack.tables import read_source

PUBLISHED = Path(__file__).resolve().parents[2] / "src" / "myotrack" / "evidence" / "data"


def clean_env(home: Path) -> dict[str, str]:
    own = (
        "DJANGO_SETTINGS_MODULE",
        "MYOTRACK_DATABASE_URL",
        "MYOTRACK_SECRET_KEY",
        "MYOTRACK_TEST_DB",
    )
    env = {k: v for k, v in os.environ.items() if k not in own}
    env["MYOTRACK_HOME"] = str(home)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_without_a_database_says_what_to_do(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "myotrack.cli", "serve", "--port", str(free_port())],
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    assert "serve --migrate" in result.stderr and "Traceback" not in result.stderr


def test_serve_demo_loads_the_published_cases_and_serves_them(tmp_path: Path) -> None:
    expected = sorted(
        p
        for folder in sorted(PUBLISHED.iterdir())
        if (folder / "patients.csv").exists()
        for p in read_source(folder).patient_ids
    )
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "myotrack.cli", "serve", "--demo", "--port", str(port)],
        env=clean_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 300
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("serving on"):
                break
        output = "".join(lines)
        assert f"serving on http://127.0.0.1:{port}/" in output, output
        password = re.search(r"password (\S+) \(shown only now\)", output)
        assert password, output

        with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
            codes = sorted(r[0] for r in db.execute("SELECT code FROM patients_patient"))
        assert codes == expected

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = f"http://127.0.0.1:{port}"
        login = ""
        for _ in range(120):  # waitress binds right after the message: wait up to a minute
            try:
                login = opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
                break
            except urllib.error.URLError:
                time.sleep(0.5)
        assert opener.open(f"{base}/static/myotrack/registry.css", timeout=30).status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login)
        assert token
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": "demo-admin",
                "password": password.group(1),
            }
        ).encode()
        request = urllib.request.Request(
            f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"}
        )
        listed = opener.open(request, timeout=60).read().decode()
        assert "Patients" in listed and expected[0] in listed
        # a patient page's parts, drawn by the server's drawing process
        first = re.search(r'href="(/patients/\d+/)"', listed)
        assert first, listed
        drawing = children(proc.pid)
        assert drawing, "no drawing process"
        timeline = opener.open(f"{base}{first.group(1)}timeline/?part=1", timeout=120).read()
        assert b"<svg" in timeline and b"could not" not in timeline
        evidence = ""
        for _ in range(120):  # the drawing process prepares the published cases as it starts
            evidence = (
                opener.open(f"{base}{first.group(1)}evidence/?part=1", timeout=120).read().decode()
            )
            if "being prepared" not in evidence:
                break
            time.sleep(0.5)
        assert "Profile:" in evidence, evidence
    finally:
        proc.terminate()  # SIGTERM, as a service manager stops it
        proc.wait(timeout=60)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in drawing) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in drawing), "the drawing processes outlived the server"


def test_the_drawing_processes_end_with_a_killed_server(tmp_path: Path) -> None:
    """A server killed outright (SIGKILL: no clean-up runs) does not leave its drawing
    processes behind."""
    script = (
        "from myotrack.web.analysis import render\n"
        "import multiprocessing, time\n"
        "if __name__ == '__main__':\n"
        "    render.start(1)\n"
        "    render.run(int)\n"
        "    print(*[p.pid for p in multiprocessing.active_children()], flush=True)\n"
        "    time.sleep(600)\n"
    )
    path = tmp_path / "server.py"
    path.write_text(script)
    # the pool's resource tracker outlives the killed process and warns of the semaphores it
    # cleans up: kept in a file, shown if the test fails
    log = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen(
        [sys.executable, str(path)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=clean_env(tmp_path),
    )
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert pids and all(alive(p) for p in pids), (tmp_path / "stderr.txt").read_text()
    finally:
        proc.kill()
        proc.wait(timeout=30)
        log.close()
    deadline = time.monotonic() + 30
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in pids), "a drawing process outlived its killed server"


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting to be reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_settled_server_leaves_the_collector_what_comes_after(db: None) -> None:
    """``settle`` (once the server has started) loads every view and template, collects, and
    keeps the collector off every object the process then holds (``gc.freeze``): a full
    collection walks what was made since, a few objects here instead of the hundreds of
    thousands a server process lives with (each such pass held every request, 150-800 ms)."""
    import gc

    from django.template import engines

    from myotrack.web.server import settle

    before = len(gc.get_objects())
    try:
        settle()
        frozen = gc.get_freeze_count()
        assert frozen > 0.5 * before
        assert len(gc.get_objects()) < 0.01 * frozen
        # every template of the registry's pages compiled, by the cached loader
        (loader,) = engines["django"].engine.template_loaders
        assert (
            len(loader.get_template_cache)
            >= len(list(Path(loader.loaders[0].get_dirs()[0]).rglob("*.html")))
            > 20
        )
    finally:
        gc.unfreeze()

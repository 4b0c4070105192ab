"""Load test of the registry: the real server (``myotrack serve``, waitress) on PostgreSQL,
many logged-in users at once.

    python benchmarks/registry_load.py [--patients 10000] [--users 20] [--duration 120]
        [--postgres-url URL] [--reuse] [--ramp] [--max-users 160]

1. The database: ``--postgres-url`` names a server; the test makes (and drops afterwards) a
   database ``myotrack_load_<patients>`` on it, or keeps and reuses it with ``--reuse``.
   Without it, a throw-away server is started with ``scripts/postgres.sh`` (stopped at the end).
   Then every patient's outcomes are stored, as the registry's background refresh does after an
   import (:mod:`myotrack.web.analysis.refresh`; timed and printed, not part of the test).
2. ``--patients`` synthetic patients (``myotrack.synth.generate``: 14 visits each, grades,
   treatments, events) are added with ``bulk_create``, each row made as the importer makes it
   (its ``normalised`` and ``assign``), without audit records: not timed, not through the web
   form.
   One site; ``--max-users`` data-entry users of that site.
3. ``myotrack serve`` starts on a free loopback port, as a separate process.
4. ``--users`` threads log in (the log-in form with its CSRF token; then the session cookie)
   and for ``--duration`` seconds each repeats: pick a request from the mix, time it, pause
   ``--pause`` seconds. The mix (weights out of 20): the patient list with a search (5),
   a patient page (7) followed at once by the two parts its script loads after it (the
   timeline, the published evidence; each its own row, '  its ...'), the visit form (3) and
   its POST with a new visit (3), the cohort page of a search that about 1% of the patients
   match (2). Each user enters visits for patients of their own only (user
   *u* takes the patients *u*, *u + users*, ...), with a new day each time, so two visits never
   collide. A request is an error when its status is not the expected one (200; 302 to the
   patient page after a visit) or it fails.
5. The table: count, p50 / p95 / p99 (ms) per endpoint, throughput (requests/s), errors;
   CPU of the server process and of the PostgreSQL processes (from ``/proc``, % of one core)
   and of the whole machine (other sessions may share it: it says how much).

``--ramp`` then raises the users (x1.5 each step) until the p95 of the patient page or of the
visit entry is twice that of the first step (or errors appear, or ``--max-users``) and says
what limits it: the server process near one core (Python holds one core per process), the
database, the whole machine, or none of these (then requests wait for waitress' threads).

Targets (10,000 patients, 20 users): no errors, patient page p95 < 150 ms, visit entry p95 <
300 ms. Timings are of this machine and its load at the time: rerun after a change, on the same
machine, and compare the tables (``--json FILE`` keeps one).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_SH = ROOT / "scripts" / "postgres.sh"
PASSWORD = "load-test password " + secrets.token_hex(4)
SITE = "Load test site"
TARGETS_MS = {"patient page": 150.0, "visit entry": 300.0}
#: endpoint -> weight (out of their sum)
MIX = {
    "patient list + search": 5,
    "patient page": 7,
    "visit form": 3,
    "visit entry": 3,
    "cohort page": 2,
}
#: The server's threads and drawing processes, as 'myotrack serve' starts them by default
#: (MYOTRACK_THREADS, MYOTRACK_RENDER_PROCESSES), unless set in the environment.
THREADS = int(os.environ.get("MYOTRACK_THREADS", "32"))
DRAWING_PROCESSES = int(os.environ.get("MYOTRACK_RENDER_PROCESSES", "1"))
#: The parts of the patient page that its script loads after it (each ``<page>/<part>/?part=1``).
PARTS = ("timeline", "evidence")
VISITS = 14  # per synthetic patient: the fewest myotrack.synth makes (monthly to 12 months)
BATCH = 2000
CLK_TCK = os.sysconf("SC_CLK_TCK")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- the database -----------------------------------------------------------------------


@dataclass
class Database:
    url: str
    cluster: Path | None = None  # a throw-away server started here
    created: bool = False  # a database made on a given server
    admin_url: str = ""

    def postmaster_pid(self) -> int | None:
        if self.cluster is None:
            return None
        pid_file = self.cluster / "data" / "postmaster.pid"
        try:
            return int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


def _with_dbname(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def open_database(args: argparse.Namespace) -> tuple[Database, bool]:
    """The database to load, and whether it holds the patients already (``--reuse``)."""
    import psycopg

    name = f"myotrack_load_{args.patients}"
    if args.postgres_url:
        admin_url = args.postgres_url
        cluster = None
    else:
        cluster = Path(tempfile.mkdtemp(prefix="myotrack-pg."))
        shutil.rmtree(cluster)  # postgres.sh makes it (and removes it on stop)
        admin_url = subprocess.run(
            ["bash", str(POSTGRES_SH), "start", str(cluster)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not args.reuse:
            conn.execute(f'DROP DATABASE "{name}"')
        if not exists or not args.reuse:
            conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(_with_dbname(admin_url, name), cluster, True, admin_url)
    return db, bool(exists) and args.reuse


def close_database(db: Database, keep: bool) -> None:
    import psycopg

    if db.cluster is not None:
        subprocess.run(["bash", str(POSTGRES_SH), "stop", str(db.cluster)], check=False)
        shutil.rmtree(db.cluster, ignore_errors=True)
        return
    if db.created and not keep:
        name = urllib.parse.urlsplit(db.url).path.lstrip("/")
        with psycopg.connect(db.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bulk_add(ds: object, site: object) -> None:
    """Every row of a synthetic dataset, as the importer's ``add_dataset`` makes it (the same
    ``normalised``/``assign``), but with ``bulk_create`` and without audit records."""
    from myotrack.web.events.models import Event
    from myotrack.web.patients.models import Patient
    from myotrack.web.records import assign, normalised
    from myotrack.web.treatments.models import Treatment
    from myotrack.web.visits.models import StrengthGrade, Visit

    patients = {}
    for i, code in enumerate(ds.patient_ids):  # type: ignore[attr-defined]
        patient = Patient(code=code, site=site)
        assign(patient, normalised(ds, "patients", i), Patient.CONTRACT_FIELDS)
        patients[code] = patient
    Patient.objects.bulk_create(patients.values(), batch_size=BATCH)
    visits = {}
    for i in range(len(ds.visits)):  # type: ignore[attr-defined]
        values = normalised(ds, "visits", i)
        visit = Visit(patient=patients[str(values["patient_id"])])
        assign(visit, values, Visit.STORED_FIELDS)
        visits[(visit.patient.code, visit.day)] = visit
    Visit.objects.bulk_create(visits.values(), batch_size=BATCH)
    for table, model in (("strength", StrengthGrade), ("treatments", Treatment), ("events", Event)):
        rows = []
        for i in range(len(ds.table(table))):  # type: ignore[attr-defined]
            values = normalised(ds, table, i)
            obj = model(patient=patients[str(values["patient_id"])])
            assign(obj, values, model.CONTRACT_FIELDS)
            if model is StrengthGrade:
                obj.visit = visits.get((obj.patient.code, obj.day))
            rows.append(obj)
        model.objects.bulk_create(rows, batch_size=BATCH)


def populate(db: Database, patients: int, users: int, seed: int, reuse: bool) -> dict[str, object]:
    """Migrate, then add the patients (importer) and the users; return what the clients need:
    user names and, per user, the primary keys of the patients they enter visits for."""
    os.environ["MYOTRACK_DATABASE_URL"] = db.url
    from myotrack.web import server

    server.setup(db.url)
    server.migrate()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.db.models import Max

    from myotrack.synth import generate
    from myotrack.web.accounts.models import Profile, Role, Site
    from myotrack.web.patients.models import Patient
    from myotrack.web.visits.models import Visit

    started = time.perf_counter()
    site, _ = Site.objects.get_or_create(name=SITE)
    have = Patient.objects.filter(site=site).count()
    if reuse and have not in (0, patients):
        raise SystemExit(f"--reuse: the database holds {have} patients, not {patients}")
    if have == 0:
        with transaction.atomic():
            bulk_add(generate(patients, seed, VISITS), site)
    # the registry's background refresh after an import (or at server start), done here so the
    # clock starts with every patient's outcomes stored, as in a registry that is running
    from myotrack.web.analysis.refresh import refresh_stale

    computed = time.perf_counter()
    refreshed = refresh_stale()
    computed = time.perf_counter() - computed
    hashed = make_password(PASSWORD)  # one hash for every user: hashing is slow on purpose
    names = [f"load{u:03d}" for u in range(users)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    with transaction.atomic():
        made = User.objects.bulk_create(
            [User(username=n, password=hashed) for n in names if n not in existing]
        )
        for user in made:
            Profile.objects.create(user=user, role=Role.DATA_ENTRY).sites.set([site])
        User.objects.filter(username__in=names).update(password=hashed)
    pks = list(Patient.objects.filter(site=site).order_by("pk").values_list("pk", flat=True))
    codes = list(Patient.objects.filter(site=site).order_by("pk").values_list("code", flat=True))
    connection.close()
    return {
        "users": names,
        "patients": pks,
        "codes": codes,
        "last_day": max(Visit.objects.aggregate(last=Max("day"))["last"] or 0, 5000),
        "seconds": time.perf_counter() - started,
        "created": have == 0,
        "refreshed": refreshed,
        "refresh_seconds": computed,
    }


# --- the server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Database, port: int, home: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            "MYOTRACK_DATABASE_URL": db.url,
            "MYOTRACK_HOME": str(home),
            "MYOTRACK_SECRET_KEY": secrets.token_urlsafe(40),
            "MYOTRACK_LOCKOUT_FAILURES": "1000",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]),
        }
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "myotrack.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped: see {home / 'server.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the server did not answer /health within 120 s")


# --- the users --------------------------------------------------------------------------


class Browser:
    """One logged-in user: one keep-alive connection, its cookies, the CSRF token."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        """(status, Location, body) of one request; reconnects once if the server closed."""
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._reconnect()
                if attempt == 2:
                    raise
            except Exception:
                # a timeout leaves a half-read response on the connection: the next request on
                # it would fail too (CannotSendRequest), so the user starts a new one
                self._reconnect()
                raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def _reconnect(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def login(self, username: str) -> None:
        status, _, page = self.request("GET", "/accounts/login/")
        token = CSRF_INPUT.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"log-in page: status {status}")
        status, _, _ = self.request(
            "POST",
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"log-in of {username} refused (status {status})")


@dataclass
class Results:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, endpoint: str, seconds: float, problem: str | None) -> None:
        with self.lock:
            self.timings[endpoint].append(seconds)
            if problem:
                self.errors[endpoint] += 1
                self.examples.setdefault(endpoint, problem)


def run_user(
    index: int,
    users: int,
    port: int,
    username: str,
    setup: dict[str, object],
    until: float,
    pause: float,
    results: Results,
    rng: random.Random,
) -> None:
    browser = Browser(port)
    try:
        browser.login(username)
    except Exception as err:  # counted and shown, never hidden
        results.add("log-in", 0.0, f"{type(err).__name__}: {err}")
        return
    pks: list[int] = setup["patients"]  # type: ignore[assignment]
    codes: list[str] = setup["codes"]  # type: ignore[assignment]
    mine = pks[index::users] or pks
    endpoints = list(MIX)
    weights = [MIX[e] for e in endpoints]
    # beyond every visit in the database (the synthetic ones and those of an earlier run with
    # --reuse); one new day each time
    day = int(setup["last_day"]) + 1 + index  # type: ignore[call-overload]
    token = ""
    visit_for: int | None = None
    while time.monotonic() < until:
        endpoint = rng.choices(endpoints, weights)[0]
        if endpoint == "visit entry" and visit_for is None:
            endpoint = "visit form"  # a visit is entered from its form
        expected, form = 200, None
        if endpoint == "patient list + search":
            q = rng.choice(codes)[-rng.randint(3, 5) :]  # a few patients match
            method, path = "GET", "/patients/?" + urllib.parse.urlencode({"q": q})
        elif endpoint == "patient page":
            method, path = "GET", f"/patients/{rng.choice(pks)}/"
        elif endpoint == "visit form":
            visit_for = rng.choice(mine)
            method, path = "GET", f"/patients/{visit_for}/visits/new/"
        elif endpoint == "visit entry":
            day += users
            method, path, expected = "POST", f"/patients/{visit_for}/visits/new/", 302
            form = {
                "csrfmiddlewaretoken": token,
                "day": str(day),
                "ck": str(rng.randint(50, 12000)),
                "ck_uln": "200",
                "mrc_sum": str(rng.randint(30, 60)),
            }
        else:
            q = rng.choice(codes)[-2:]  # about 1% of the patients
            method, path = "GET", "/cohort/?" + urllib.parse.urlencode({"q": q})
        started = time.perf_counter()
        problem = None
        try:
            status, location, body = browser.request(method, path, form)
            if status != expected:
                problem = f"{method} {path.split('?')[0]}: status {status}"
            elif endpoint == "visit entry" and not location.rstrip("/").endswith(
                f"/patients/{visit_for}"
            ):
                problem = f"visit entry redirected to {location}"
        except Exception as err:  # counted and shown
            problem = f"{method} {path.split('?')[0]}: {type(err).__name__}: {err}"
            body = ""
        results.add(endpoint, time.perf_counter() - started, problem)
        if endpoint == "patient page" and problem is None:
            for part in PARTS:  # as the page's script loads them, at once
                started = time.perf_counter()
                problem = None
                part_path = f"{path}{part}/?part=1"
                try:
                    status, _, _ = browser.request("GET", part_path)
                    if status != 200:
                        problem = f"GET {part_path}: status {status}"
                except Exception as err:  # counted and shown
                    problem = f"GET {part_path}: {type(err).__name__}: {err}"
                results.add(f"  its {part}", time.perf_counter() - started, problem)
        if endpoint == "visit form":
            found = CSRF_INPUT.search(body)
            token = found.group(1) if found else ""
        elif endpoint == "visit entry":
            visit_for = None
        time.sleep(pause)


def warm_up(port: int, setup: dict[str, object]) -> float:
    """One request of each page before the clock starts (the first compiles the criteria's
    plans in the server process, once); returns the seconds it took."""
    started = time.perf_counter()
    browser = Browser(port)
    browser.conn.timeout = 600
    names: list[str] = setup["users"]  # type: ignore[assignment]
    pks: list[int] = setup["patients"]  # type: ignore[assignment]
    browser.login(names[-1])
    for path in (
        f"/patients/{pks[0]}/",
        f"/patients/{pks[0]}/timeline/?part=1",
        f"/patients/{pks[0]}/evidence/?part=1",
        "/patients/?q=01",
        f"/patients/{pks[0]}/visits/new/",
        "/cohort/?q=01",
    ):
        status, _, _ = browser.request("GET", path)
        if status != 200:
            raise SystemExit(f"warm-up: GET {path} answered {status}")
    return time.perf_counter() - started


# --- CPU from /proc ---------------------------------------------------------------------


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(ppid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == ppid:
                out.append(int(entry.name))
    return out


def _machine() -> tuple[int, int]:
    """(busy, total) ticks of every core since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU of the server, of PostgreSQL (the postmaster and its backends, including those
    that ended: their time is summed by the kernel into the postmaster's cutime/cstime) and of
    the machine, over an interval."""

    def __init__(self, server_pid: int, postmaster: int | None):
        self.server_pid, self.postmaster = server_pid, postmaster

    def _postgres(self) -> int:
        if self.postmaster is None:
            return 0
        try:
            fields = Path(f"/proc/{self.postmaster}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0
        own = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        return own + sum(_ticks(p) for p in _children(self.postmaster))

    def _drawing(self) -> dict[int, int]:
        """Ticks of each of the server's child processes (its drawing processes)."""
        return {pid: _ticks(pid) for pid in _children(self.server_pid)}

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.server0, self.pg0, self.machine0 = (
            _ticks(self.server_pid),
            self._postgres(),
            _machine(),
        )
        self.drawing0 = self._drawing()

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        busy1, total1 = _machine()
        busy0, total0 = self.machine0
        cores = os.cpu_count() or 1
        drawing = sum(t - self.drawing0.get(pid, 0) for pid, t in self._drawing().items())
        return {
            "server_pct": 100 * (_ticks(self.server_pid) - self.server0) / CLK_TCK / wall,
            "drawing_pct": 100 * drawing / CLK_TCK / wall,
            "postgres_pct": (
                100 * (self._postgres() - self.pg0) / CLK_TCK / wall
                if self.postmaster is not None
                else float("nan")
            ),
            "machine_pct": 100 * cores * (busy1 - busy0) / max(total1 - total0, 1),
            "cores": cores,
        }


# --- one run, the table -----------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def run_level(
    users: int, args: argparse.Namespace, port: int, setup: dict[str, object], meter: CpuMeter
) -> dict[str, object]:
    results = Results()
    names: list[str] = setup["users"]  # type: ignore[assignment]
    threads = []
    # log-ins are not measured; the clock starts once every user is in
    until = time.monotonic() + args.duration + 0.2 * users
    for u in range(users):
        rng = random.Random(args.seed * 1000 + u)
        threads.append(
            threading.Thread(
                target=run_user,
                args=(u, users, port, names[u], setup, until, args.pause, results, rng),
                daemon=True,
            )
        )
    meter.start()
    started = time.monotonic()
    for t in threads:
        t.start()
        time.sleep(min(args.pause / users, 0.2))  # users arrive spread over a pause
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    cpu = meter.stop()
    rows = []
    order = [e for m in MIX for e in (m, *(f"  its {p}" for p in PARTS if m == "patient page"))]
    for endpoint in [*order, "log-in"]:
        times = results.timings.get(endpoint)
        if not times:
            continue
        ms = [1000 * t for t in times]
        rows.append(
            {
                "endpoint": endpoint,
                "count": len(ms),
                "p50": percentile(ms, 50),
                "p95": percentile(ms, 95),
                "p99": percentile(ms, 99),
                "errors": results.errors.get(endpoint, 0),
            }
        )
    total = sum(int(r["count"]) for r in rows)  # type: ignore[call-overload]
    return {
        "users": users,
        "wall_s": wall,
        "rows": rows,
        "requests": total,
        "throughput": total / wall,
        "errors": sum(results.errors.values()),
        "examples": dict(results.examples),
        "cpu": cpu,
        "loadavg": os.getloadavg()[0],
    }


def print_level(level: dict[str, object], patients: int) -> None:
    cpu: dict[str, float] = level["cpu"]  # type: ignore[assignment]
    print(
        f"\n{patients:,} patients, {level['users']} users, {level['wall_s']:.0f} s: "
        f"{level['requests']} requests, {level['throughput']:.1f} requests/s, "
        f"{level['errors']} errors"
    )
    print(
        f"{'endpoint':<24}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}  target"
    )
    for r in level["rows"]:  # type: ignore[attr-defined]
        target = TARGETS_MS.get(r["endpoint"])
        verdict = ""
        if target is not None:
            verdict = f"p95 < {target:.0f}: {'yes' if r['p95'] < target else 'NO'}"
        print(
            f"{r['endpoint']:<24}{r['count']:>7}{r['p50']:>9.0f}{r['p95']:>9.0f}"
            f"{r['p99']:>9.0f}{r['errors']:>8}  {verdict}"
        )
    print(
        f"CPU (% of one core): server {cpu['server_pct']:.0f}, its drawing processes "
        f"{cpu['drawing_pct']:.0f}, PostgreSQL "
        f"{_pct(cpu['postgres_pct'])}; whole machine {cpu['machine_pct']:.0f} of "
        f"{100 * cpu['cores']:.0f} (load test, server, PostgreSQL and anything else running); "
        f"load average {level['loadavg']:.1f}"
    )
    for endpoint, example in level["examples"].items():  # type: ignore[attr-defined]
        print(f"  first error of {endpoint}: {example}")


def _pct(value: float) -> str:
    """A CPU share; PostgreSQL's is not measured on a server the load test did not start."""
    return "not measured (--postgres-url)" if math.isnan(value) else f"{value:.0f}%"


def _p95(level: dict[str, object], endpoint: str) -> float:
    for r in level["rows"]:  # type: ignore[attr-defined]
        if r["endpoint"] == endpoint:
            return float(r["p95"])
    return float("nan")


def limit_of(level: dict[str, object], threads: int) -> str:
    """What limits a level, from its CPU figures."""
    cpu: dict[str, float] = level["cpu"]  # type: ignore[assignment]
    if cpu["machine_pct"] > 85 * cpu["cores"]:
        return (
            f"the machine's CPU: {cpu['machine_pct']:.0f}% of {100 * cpu['cores']:.0f}% busy "
            f"(server {cpu['server_pct']:.0f}%, PostgreSQL {_pct(cpu['postgres_pct'])}, the "
            "rest is the load test and other processes)"
        )
    if cpu["drawing_pct"] > 80 * DRAWING_PROCESSES:
        return (
            f"the drawing processes' CPU: {cpu['drawing_pct']:.0f}% for "
            f"{DRAWING_PROCESSES} (MYOTRACK_RENDER_PROCESSES): the parts of the patient pages "
            "wait for them, and threads wait for the parts"
        )
    if cpu["server_pct"] > 80:
        return (
            f"the server process's CPU: {cpu['server_pct']:.0f}% of one core (one Python "
            "process runs Python on one core at a time); more server processes would help"
        )
    if cpu["postgres_pct"] > 80:
        return f"the database: PostgreSQL uses {cpu['postgres_pct']:.0f}% of one core"
    return (
        f"neither CPU (server {cpu['server_pct']:.0f}%, PostgreSQL "
        f"{_pct(cpu['postgres_pct'])}): requests wait for waitress' {threads} threads"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds per level")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between requests")
    parser.add_argument("--postgres-url", default="", help="a server to make the database on")
    parser.add_argument("--reuse", action="store_true", help="keep and reuse the database")
    parser.add_argument("--ramp", action="store_true", help="raise the users until p95 doubles")
    parser.add_argument("--max-users", type=int, default=0, help="ramp limit (default 8 x users)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the results to this file too")
    args = parser.parse_args(argv)
    max_users = max(args.max_users or 8 * args.users, args.users)

    db, reused = open_database(args)
    home = Path(tempfile.mkdtemp(prefix="myotrack-load-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        setup = populate(db, args.patients, max_users, args.seed, reused)
        made = "added" if setup["created"] else "reused"
        print(
            f"database: {len(setup['patients']):,} patients {made} ({setup['seconds']:.0f} s), "  # type: ignore[arg-type]
            f"{max_users} users; load average before: {os.getloadavg()[0]:.1f}"
        )
        print(
            f"outcomes stored beforehand (the background refresh): {setup['refreshed']:,} "
            f"patients in {setup['refresh_seconds']:.0f} s"
        )
        port = free_port()
        server = start_server(db, port, home)
        print(f"warm-up (first request of each page): {warm_up(port, setup):.0f} s")
        meter = CpuMeter(server.pid, db.postmaster_pid())
        threads = THREADS
        levels = [run_level(args.users, args, port, setup, meter)]
        print_level(levels[0], args.patients)
        if args.ramp:
            base = {e: _p95(levels[0], e) for e in TARGETS_MS}
            users = args.users
            while users < max_users:
                users = min(max_users, int(users * 1.5 + 0.5))
                level = run_level(users, args, port, setup, meter)
                levels.append(level)
                print_level(level, args.patients)
                doubled = [e for e in TARGETS_MS if _p95(level, e) >= 2 * base[e]]
                if doubled or level["errors"]:
                    why = f"p95 of {', '.join(doubled)} doubled" if doubled else "errors"
                    print(f"\nramp: at {users} users {why}; limit: {limit_of(level, threads)}")
                    break
            else:
                print(f"\nramp: up to {max_users} users without p95 doubling")
        if args.json:
            args.json.write_text(
                json.dumps({"patients": args.patients, "levels": levels}, indent=1)
            )
        failed = levels[0]["errors"] or any(_p95(levels[0], e) >= t for e, t in TARGETS_MS.items())
        return 1 if failed else 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        close_database(db, keep=args.reuse)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the registry at network scale: import, outcomes, the cohort report and exports.

    python benchmarks/registry_scale.py [--patients 10000] [--seed 1] [--visits N]
                                        [--postgres postgresql://user@host:port/db]

A synthetic cohort (``myotrack.synth.generate``) is written as a CSV folder (not timed). Then,
for a throw-away SQLite database and, when ``--postgres`` names a server, a throw-away
database created on it (and dropped after), a fresh child process (Django is set up once per
process) times:

- *import*: the commit of the staged folder (read, validate, check against the registry, write
  every row and its audit record), all in one transaction; target 60 s;
- *import's writes alone* and *the writes row by row (reference)*: a sample of the cohort
  written (and rolled back) in bulk, and the former way (one INSERT and one audit record per
  row), each scaled linearly to the whole cohort;
- *outcome filter, first*: the patient list filtered by an outcome when no outcome is stored
  (every patient evaluated, one engine call); *outcome filter*: the same again (stored rows);
  *after a saved visit*: the same after one visit was saved (one patient evaluated);
  target 10 s; *full evaluation (reference)*: the engine on the whole cohort's dataset;
- *patient page, first open*: one patient's page when their outcomes are stored but not their
  timeline or similar published cases (after *the first of the process*; the published cases
  for the similar-case lookup are prepared in the background from the start of the process,
  as ``myotrack serve`` does, and are ready by then);
- *cohort report*: the report of every patient grouped by antibody (timelines only for a
  cohort of at most 50), with its size; targets 10 s and 10 MB;
- *export zip / xlsx / redcap*: the export of every patient; target 10 s each.

Times are one run each (the machine may be shared: other load only adds time).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

TARGET_S = 10.0
TARGET_IMPORT_S = 60.0
TARGET_REPORT_MB = 10.0
#: Patients imported row by row for the reference (scaled to the cohort).
REFERENCE_SAMPLE = 100

ROWS = [
    ("import", "import", TARGET_IMPORT_S),
    ("import_sample", "import's writes alone (sample, scaled)", None),
    ("import_reference", "the writes row by row (reference, scaled)", None),
    ("filter_first", "outcome filter, first (all evaluated)", None),
    ("filter", "outcome filter (stored outcomes)", TARGET_S),
    ("filter_after_visit", "outcome filter after a saved visit", TARGET_S),
    ("evaluate_reference", "full evaluation (reference)", None),
    ("patient_page_process", "patient page, first of the process", None),
    ("patient_page", "patient page, first open", None),
    ("report", "cohort report", TARGET_S),
    ("export_zip", "export zip (CSV)", TARGET_S),
    ("export_xlsx", "export xlsx", TARGET_S),
    ("export_redcap", "export redcap (zip)", TARGET_S),
]


def _timed(out: dict[str, float], key: str, fn: Any) -> Any:
    """Run ``fn``; its wall-clock seconds go to ``out[key]`` and this process's CPU seconds
    (all its threads, DuckDB's too; not a database server's) to ``out[key + '_cpu']``."""
    cpu = time.process_time()
    start = time.perf_counter()
    result = fn()
    out[key] = time.perf_counter() - start
    out[f"{key}_cpu"] = time.process_time() - cpu
    print(f"  {key}: {out[key]:.1f} s", file=sys.stderr, flush=True)
    return result


def child(folder: Path, database_url: str, home: Path) -> dict[str, float]:
    """Run every step against one database; the seconds (and the report's MB) by step."""
    os.environ["MYOTRACK_HOME"] = str(home)
    os.environ["MYOTRACK_SECRET_KEY"] = "benchmark-only-secret-key-0123456789-abcdefghij"
    os.environ["MYOTRACK_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "myotrack.web.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.test import Client
    from django.test.utils import setup_test_environment

    from myotrack.criteria import evaluate
    from myotrack.evidence.lookup import prepare_corpus
    from myotrack.tables import read_source
    from myotrack.web import importer
    from myotrack.web.accounts.models import Profile, Role, Site
    from myotrack.web.analysis.report import cohort_report_html
    from myotrack.web.export import dataset_for, export_bytes
    from myotrack.web.patients.models import Patient
    from myotrack.web.server import migrate
    from myotrack.web.visits.services import save_visit

    setup_test_environment()  # the test client may talk to 'testserver'
    migrate()
    preparing = prepare_corpus()  # as the server does when it starts
    ds = read_source(folder)
    # the synthetic cohort's sites, and the site of patients without one
    named = {str(s) for s in ds.patients["site"].dropna()}
    made = [Site.objects.create(name=name) for name in sorted(named | {"Benchmark site"})]
    site = next(s for s in made if s.name == "Benchmark site")
    user = User.objects.create_superuser("bench", password="benchmark-password-0123")
    profile = Profile.objects.create(user=user, role=Role.ADMINISTRATOR, export_identified=True)
    profile.sites.set(made)
    out: dict[str, float] = {}

    # import: the commit of a staged folder (as an uploaded zip is staged)
    token = "benchmark0staged0folder"
    shutil.copytree(folder, importer.staged_path(token, "cohort.zip"))
    result = _timed(out, "import", lambda: importer.commit(user, token, "cohort.zip", site))
    n = len(result.patient_ids)

    # the former row-by-row import, on a sample renamed so as not to clash
    part = ds.subset(ds.patient_ids[:REFERENCE_SAMPLE])
    sample = dataclasses.replace(
        part,
        **{
            t: part.table(t).assign(patient_id="REF-" + part.table(t)["patient_id"].astype(str))
            for t in ("patients", "visits", "strength", "treatments", "events", "observations")
        },
    )

    by_name = {s.name: s for s in made}
    sample_sites = {
        p: by_name.get(str(s), site)
        for p, s in zip(sample.patient_ids, sample.patients["site"], strict=True)
    }

    def written(add: Any) -> Any:
        def run() -> None:
            with transaction.atomic():
                add(user, sample, sample_sites, "reference")
                transaction.set_rollback(True)

        return run

    # the same sample written the former way and in bulk (both rolled back), scaled
    _timed(out, "import_reference", written(_add_row_by_row))
    _timed(out, "import_sample", written(importer.add_dataset))
    for key in ("import_reference", "import_sample"):
        for k in (key, f"{key}_cpu"):
            out[k] *= n / len(sample.patient_ids)

    client = Client()
    client.force_login(user)
    url = "/patients/?criterion=relapse&value=yes"
    _timed(out, "filter_first", lambda: client.get(url))
    _timed(out, "filter", lambda: client.get(url))
    patient = Patient.objects.order_by("code").first()
    save_visit(user, patient, {"day": "9999", "ck": "5000", "ck_uln": "200", "mrc_sum": "40"}, [])
    _timed(out, "filter_after_visit", lambda: client.get(url))
    everyone = Patient.objects.all()
    _timed(out, "evaluate_reference", lambda: evaluate(dataset_for(everyone)))
    # the first page of the process (the published cases were prepared in the background)
    preparing.join()
    first, other = Patient.objects.order_by("-code")[:2]
    _timed(out, "patient_page_process", lambda: client.get(f"/patients/{first.pk}/"))
    _timed(out, "patient_page", lambda: client.get(f"/patients/{other.pk}/"))

    html = _timed(
        out, "report", lambda: cohort_report_html(user, everyone, "antibody", "benchmark report")
    )
    out["report_mb"] = len(html.encode("utf-8")) / 1e6
    for fmt in ("zip", "xlsx", "redcap"):
        _timed(out, f"export_{fmt}", lambda fmt=fmt: export_bytes(user, everyone, fmt))
    out["patients"] = n
    return out


def _add_row_by_row(user: Any, ds: Any, sites: dict[str, Any], summary: str) -> None:
    """The import as it was: each row saved and audited on its own (the reference)."""
    from myotrack.web.events.models import Event
    from myotrack.web.observations.models import Observation
    from myotrack.web.patients.models import Patient
    from myotrack.web.records import assign, normalised, save_audited
    from myotrack.web.treatments.models import Treatment
    from myotrack.web.visits.models import StrengthGrade, Visit

    patients = {}
    for i, code in enumerate(ds.patient_ids):
        patient = Patient(code=code, site=sites[code])
        assign(patient, normalised(ds, "patients", i), Patient.CONTRACT_FIELDS)
        save_audited(user, patient, None, summary)
        patients[code] = patient
    visits = {}
    for i in range(len(ds.visits)):
        values = normalised(ds, "visits", i)
        visit = Visit(patient=patients[str(values["patient_id"])])
        assign(visit, values, Visit.STORED_FIELDS)
        save_audited(user, visit, None, summary)
        visits[(visit.patient.code, visit.day)] = visit
    for table, model in (
        ("strength", StrengthGrade),
        ("treatments", Treatment),
        ("events", Event),
        ("observations", Observation),
    ):
        for i in range(len(ds.table(table))):
            values = normalised(ds, table, i)
            obj = model(patient=patients[str(values["patient_id"])])
            assign(obj, values, model.CONTRACT_FIELDS)
            if model is StrengthGrade:
                obj.visit = visits.get((obj.patient.code, obj.day))
            save_audited(user, obj, None, summary)


def _postgres_database(url: str) -> tuple[str, Any]:
    """A new database on the server of ``url``: its URL, and a function that drops it."""
    import secrets

    import psycopg
    from dj_database_url import parse

    name = f"myotrack_bench_{secrets.token_hex(4)}"
    cfg = parse(url)
    params = {
        "host": cfg["HOST"],
        "port": cfg["PORT"] or 5432,
        "user": cfg["USER"],
        "password": cfg["PASSWORD"] or None,
        "dbname": cfg["NAME"] or "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(**params) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base = url.rsplit("/", 1)[0]
    return f"{base}/{name}", drop


def run_child(folder: Path, url: str, tmp: Path, label: str) -> dict[str, float]:
    home = tmp / f"home-{label}"
    home.mkdir()
    print(f"{label}:", file=sys.stderr, flush=True)
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), url, str(home)],
        stdout=subprocess.PIPE,  # the results; its progress and errors go to stderr
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    if done.returncode != 0:
        raise SystemExit(f"the {label} run failed")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--visits", type=int, default=None, help="visits per patient")
    parser.add_argument("--postgres", default="", help="a PostgreSQL server's URL")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        folder, url, home = args.child
        print(json.dumps(child(Path(folder), url, Path(home))))
        return

    sys.path.insert(0, str(ROOT / "src"))
    from myotrack.synth import generate
    from myotrack.tables import write_csv_folder

    with tempfile.TemporaryDirectory(prefix="myotrack-registry-bench-") as name:
        tmp = Path(name)
        ds = generate(args.patients, seed=args.seed, visits_per_patient=args.visits)
        folder = write_csv_folder(ds, tmp / "cohort")
        rows = {t: len(ds.table(t)) for t in ("visits", "strength", "treatments", "events")}
        results = {"SQLite": run_child(folder, f"sqlite:///{tmp / 'bench.sqlite3'}", tmp, "sqlite")}
        if args.postgres:
            url, drop = _postgres_database(args.postgres)
            try:
                results["PostgreSQL"] = run_child(folder, url, tmp, "postgres")
            finally:
                drop()
    print(
        f"\nregistry at scale: {args.patients} synthetic patients (seed {args.seed}), "
        + ", ".join(f"{n} {t}" for t, n in rows.items())
    )
    engines = list(results)
    head = (
        f"{'step':44}"
        + "".join(f"{e + ' wall':>17}{'CPU':>8}" for e in engines)
        + f"{'target':>10}"
    )
    print(head)
    print("-" * len(head))
    for key, text, target in ROWS:
        cells = "".join(
            f"{results[e][key]:>16.1f}s{results[e][key + '_cpu']:>7.1f}s" for e in engines
        )
        print(f"{text:44}{cells}{(f'{target:.0f} s' if target else ''):>10}")
    print(
        f"{'cohort report size':44}"
        + "".join(f"{results[e]['report_mb']:>15.1f}MB{'':>8}" for e in engines)
        + f"{f'{TARGET_REPORT_MB:.0f} MB':>10}"
    )
    print(
        "wall: elapsed; CPU: this process's CPU seconds (all threads), which other load on a "
        "shared machine does not inflate (a PostgreSQL server's work is not in it)"
    )
    for e in engines:
        r = results[e]
        print(
            f"{e}: writes {r['import_reference_cpu'] / r['import_sample_cpu']:.1f}x less CPU "
            "than row by row; "
            f"outcome filter {r['evaluate_reference'] / r['filter']:.1f}x faster than a full "
            f"evaluation, {r['evaluate_reference'] / r['filter_after_visit']:.1f}x after a visit"
        )


if __name__ == "__main__":
    main()

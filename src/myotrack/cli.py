"""The ``myotrack`` command. It parses arguments, calls the library and prints; nothing else.

Errors a user can fix (``MyotrackError``) are printed as messages with exit code 1, never as a
traceback.
"""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from myotrack.errors import MyotrackError

if TYPE_CHECKING:
    from myotrack.interchange.sources import SourceSpec

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from myotrack.cli_render import Steps

app = typer.Typer(
    name="myotrack",
    help="Record, derive, analyse and compare the course of patients with immune-mediated "
    "necrotizing myopathy, by the published evidence.\n\n"
    "Example: myotrack outcomes examples/cohort17",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
# piped output is not cut to 80 columns: tables keep their shape in files and pagers
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


SourceArg = Annotated[
    Path,
    typer.Argument(
        help="A folder of CSV files, a .zip of them, an .xlsx workbook, a REDCap folder "
        "(redcap_dictionary.csv + redcap_records.csv) or FHIR (.json Bundles, .ndjson).",
        show_default=False,
    ),
]
OptionalSourceArg = Annotated[
    Path | None,
    typer.Argument(
        help="A folder of CSV files, a .zip of them, an .xlsx workbook, a REDCap folder "
        "(redcap_dictionary.csv + redcap_records.csv) or FHIR (.json Bundles, .ndjson); "
        "or none, with --db or --omop.",
        show_default=False,
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Read the contract tables from a database: postgresql://user@host/db, "
        "duckdb:///path/file.duckdb, or a Spark catalog: spark://host:7077 or spark:local[*] "
        "(--schema: the Spark database; ?warehouse=DIR: a local catalog kept in DIR).",
        show_default=False,
    ),
]
SchemaOpt = Annotated[
    str | None, typer.Option("--schema", help="Schema holding the tables (with --db).")
]
OmopOpt = Annotated[
    str | None,
    typer.Option(
        "--omop", help="Read an OMOP CDM v5.4 database (URL as for --db).", show_default=False
    ),
]
CdmSchemaOpt = Annotated[
    str | None, typer.Option("--cdm-schema", help="Schema of the CDM's clinical tables.")
]
VocabSchemaOpt = Annotated[
    str | None,
    typer.Option("--vocab-schema", help="Schema of the vocabulary tables (default: the CDM's)."),
]
ConditionsOpt = Annotated[
    str | None,
    typer.Option(
        "--condition-concepts",
        help="Comma-separated condition concept ids that select patients (with descendants).",
    ),
]
AntibodiesOpt = Annotated[
    str | None,
    typer.Option(
        "--antibodies",
        help="Comma-separated antibodies whose positive result selects patients "
        "(anti_hmgcr, anti_srp). Default without --condition-concepts: both.",
    ),
]
MatchOpt = Annotated[
    str,
    typer.Option(
        "--selection-match", help="all: a patient meets every selection rule; any: one of them."
    ),
]


def _spec(
    source: Path | None,
    db: str | None,
    schema: str | None,
    omop: str | None,
    cdm_schema: str | None,
    vocab_schema: str | None,
    conditions: str | None,
    antibodies: str | None,
    match: str,
) -> SourceSpec:
    from myotrack.interchange.sources import SourceSpec

    if source is None and db is None and omop is None:
        raise typer.BadParameter(
            "give a source: a file or folder, --db URL or --omop URL", param_hint="SOURCE"
        )
    selection = None
    if omop is not None:
        from myotrack.interchange.omop import Selection

        try:
            ids = tuple(int(c) for c in _csv_list(conditions))
        except ValueError as exc:
            raise MyotrackError(
                f"--condition-concepts: concept ids are whole numbers, not {conditions!r}"
            ) from exc
        abs_ = tuple(_csv_list(antibodies))
        if not ids and not abs_:
            abs_ = ("anti_hmgcr", "anti_srp")
        selection = Selection(ids, abs_, match)  # type: ignore[arg-type]
    elif conditions or antibodies:
        raise MyotrackError("--condition-concepts and --antibodies select patients of --omop")
    return SourceSpec(source, db, schema, omop, cdm_schema, vocab_schema, selection)


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table (readable), csv or json.")]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="No progress bars (they are shown on a terminal's stderr only)."
    ),
]


def _steps(quiet: bool) -> Steps:
    """Progress bars on stderr while a large source is read and evaluated (see cli_render)."""
    from myotrack.cli_render import Steps

    return Steps(err, enabled=not quiet and err.is_terminal)


#: Files of this many bytes take about as long to read as the criteria take to compile in a
#: process of their own (its start included): larger sources compile them beside the read.
LONG_READ_BYTES = 16 * 2**20


def _long_read(path: Path | None) -> bool:
    """Whether ``path`` (a file or a folder of files) holds :data:`LONG_READ_BYTES` or more."""
    if path is None:
        return False
    try:
        if path.is_file():
            return path.stat().st_size >= LONG_READ_BYTES
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file()) >= LONG_READ_BYTES
    except OSError:  # named by the reader
        return False


def _print_csv(frame: pd.DataFrame, arrow: pa.Table | None = None) -> None:
    """``frame`` as CSV on standard output (DuckDB's writer: see ``write_frame_csv``, which
    also says what ``arrow`` is)."""
    import shutil
    import tempfile

    from myotrack.tables.io import write_frame_csv

    with tempfile.TemporaryDirectory(prefix="myotrack-csv-") as folder:
        path = write_frame_csv(frame, Path(folder) / "out.csv", arrow)
        out = getattr(sys.stdout, "buffer", None)
        sys.stdout.flush()
        with path.open("rb") as written:
            if out is None:
                sys.stdout.write(written.read().decode("utf-8"))
            else:
                shutil.copyfileobj(written, out)
                out.flush()


# --- tables -------------------------------------------------------------------------------


@app.command()
def validate(
    source: OptionalSourceArg = None,
    db: DbOpt = None,
    schema: SchemaOpt = None,
    omop: OmopOpt = None,
    cdm_schema: CdmSchemaOpt = None,
    vocab_schema: VocabSchemaOpt = None,
    conditions: ConditionsOpt = None,
    antibodies: AntibodiesOpt = None,
    match: MatchOpt = "any",
    quiet: QuietOpt = False,
) -> None:
    """Check a source against the contract: errors (exit 1) and warnings (values kept) apart.

    Example: myotrack validate my_cohort.xlsx
    (or: myotrack validate --db postgresql://me@host/registry --schema registry_export)
    """
    from myotrack.interchange.sources import read_spec, spec_problems
    from myotrack.tables import TABLES

    spec = _spec(source, db, schema, omop, cdm_schema, vocab_schema, conditions, antibodies, match)
    with _steps(quiet) as steps:
        problems = spec_problems(spec, progress=steps.update)
    errors = [p for p in problems if not p.is_warning]
    warnings = [p for p in problems if p.is_warning]
    if errors:
        out.print(f"Errors ({len(errors)}): nothing from this source is used", markup=False)
        for p in errors:
            out.print(f"  {p}", markup=False, highlight=False)
    if warnings:
        out.print(f"Warnings ({len(warnings)}): the values were kept", markup=False)
        for p in warnings:
            out.print(f"  {p}", markup=False, highlight=False)
    if errors:
        err.print(
            f"{len(errors)} problem(s) in {spec.label}; fix them and run again.", markup=False
        )
        raise typer.Exit(1)
    with _steps(quiet) as steps:
        ds = read_spec(spec, progress=steps.update)
    counts = ", ".join(f"{len(ds.table(n))} {n}" for n in TABLES)
    note = f", {len(warnings)} warning(s)" if warnings else ""
    out.print(f"{spec.label}: valid ({counts}{note}).", markup=False, highlight=False)


def _spark(master: str) -> object:
    """An Ibis connection to a Spark session (a clear message when Spark cannot start)."""
    try:
        import ibis

        from myotrack.tables.spark import spark_session

        return ibis.pyspark.connect(spark_session(master))
    except ImportError as exc:
        raise MyotrackError(
            "--backend spark needs pyspark: pip install 'myotrack[spark]' (and a Java runtime)"
        ) from exc
    except Exception as exc:  # the JVM's own errors (no Java, a master that does not answer)
        raise MyotrackError(
            f"--backend spark: Spark did not start at {master!r} ({type(exc).__name__})"
        ) from exc


class Backend(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    spark = "spark"


@app.command()
def template(
    path: Annotated[
        Path, typer.Argument(help="Where to write the workbook (.xlsx).", show_default=False)
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write an empty workbook with one sheet per table and a data-dictionary sheet.

    Example: myotrack template registry.xlsx
    """
    from myotrack.tables import write_template

    if path.exists() and not force:
        raise MyotrackError(f"{path} exists; use --force to overwrite it")
    written = write_template(path)
    out.print(f"wrote {written}", markup=False, highlight=False)


# --- criteria -------------------------------------------------------------------------------


@app.command()
def outcomes(
    source: OptionalSourceArg = None,
    fmt: FormatOpt = Format.table,
    anchor: Annotated[
        str | None,
        typer.Option(
            help="Drug whose first course anchors response criteria (e.g. rituximab, hicy). "
            "Default: each criterion's own rule (see 'myotrack criteria')."
        ),
    ] = None,
    only: Annotated[
        str | None, typer.Option("--criteria", help="Comma-separated criterion ids (default: all).")
    ] = None,
    details: Annotated[
        bool, typer.Option("--details/--no-details", help="Show detail columns in the table view.")
    ] = False,
    db: DbOpt = None,
    schema: SchemaOpt = None,
    omop: OmopOpt = None,
    cdm_schema: CdmSchemaOpt = None,
    vocab_schema: VocabSchemaOpt = None,
    conditions: ConditionsOpt = None,
    antibodies: AntibodiesOpt = None,
    match: MatchOpt = "any",
    backend: Annotated[
        Backend,
        typer.Option(
            "--backend",
            help="Where the criteria run: duckdb (in-process, default); postgres (in the source "
            "database: --db or --omop on PostgreSQL); spark (in the source's Spark session for "
            "--db spark:... or --omop spark:..., else the tables loaded into Apache Spark at "
            "--spark-master).",
        ),
    ] = Backend.duckdb,
    spark_master: Annotated[
        str,
        typer.Option(
            "--spark-master",
            help="With --backend spark and a source outside Spark: local[*] (this machine) or "
            "a cluster's master URL.",
        ),
    ] = "local[*]",
    quiet: QuietOpt = False,
) -> None:
    """One row per patient: every outcome criterion as yes / no / not_evaluable, with details.

    Example: myotrack outcomes examples/cohort17 --format csv > outcomes.csv
    (or: myotrack outcomes --omop postgresql://me@host/cdm --cdm-schema cdm
    --antibodies anti_hmgcr,anti_srp)
    """
    from myotrack.criteria import Params, evaluate
    from myotrack.interchange.sources import read_spec, spec_tables

    spec = _spec(source, db, schema, omop, cdm_schema, vocab_schema, conditions, antibodies, match)
    ids = [c.strip() for c in only.split(",") if c.strip()] if only else None
    if backend is Backend.duckdb:
        from myotrack.criteria import compile_ahead
        from myotrack.criteria.engine import memory_limit

        memory_limit()  # a setting that is not a size refused before the source is read
        if _long_read(spec.path):
            compile_ahead(ids, Params(anchor=anchor))  # beside the read, on another core
    with _steps(quiet) as steps:
        # validated whole, whichever backend runs; held only in this list, so that an
        # evaluation in DuckDB, which it is handed over to, can free it as DuckDB copies it
        read = [read_spec(spec, progress=steps.update)]
        with steps.working(f"evaluating criteria for {len(read[0].patients):,} patients"):
            if backend is Backend.duckdb:
                result = evaluate(
                    read.pop(), criteria=ids, params=Params(anchor=anchor), handed_over=True
                )
            elif backend is Backend.spark and not spec.in_spark:
                result = evaluate(
                    read.pop(),
                    criteria=ids,
                    params=Params(anchor=anchor),
                    backend=_spark(spark_master),
                )
            else:
                from myotrack.tables.database import backend_name, run_in_database

                con, tables = spec_tables(spec)
                if backend_name(con) != backend.value:
                    raise MyotrackError(
                        f"--backend {backend.value}: the source is a {backend_name(con)} "
                        "database; the criteria run where the tables are (or use --backend duckdb)"
                    )
                result = run_in_database(con, tables, criteria=ids, params=Params(anchor=anchor))
    frame = result.frame
    if fmt is Format.csv:
        _print_csv(frame, result.arrow)
    elif fmt is Format.json:
        sys.stdout.write(frame.to_json(orient="records", indent=2) + "\n")
    else:
        from myotrack.cli_render import outcomes_table, render_frame

        if details:
            out.print(render_frame(frame, title=f"Outcomes: {spec.label}"))
        else:
            shown = frame[[c for c in frame.columns if "__" not in c]]
            out.print(outcomes_table(shown, title=f"Outcomes: {spec.label}"))


@app.command()
def criteria() -> None:
    """List every outcome criterion with its source, parameters and defaults.

    Example: myotrack criteria
    """
    from myotrack.criteria import CRITERIA

    for c in CRITERIA.values():
        out.print(f"[bold]{c.id}[/bold]  {c.title}")
        out.print(f"    source: {c.citation}", markup=False, highlight=False)
        for k, v in c.parameters.items():
            out.print(f"    {k} = {v}", markup=False, highlight=False)


# --- evidence (published cases) ---------------------------------------------------------------


class EvidenceSection(StrEnum):
    therapies = "therapies"
    matches = "matches"
    safety = "safety"
    studies = "studies"


def _csv_list(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


@app.command()
def cases(fmt: FormatOpt = Format.table) -> None:
    """List the built-in evidence base: patients (each once), publications, study-level results,
    duplicates, and patients by antibody, therapy and source publication.

    Example: myotrack cases --format csv
    """
    from myotrack.evidence import case_counts

    counts = case_counts()
    parts = {
        "antibody": counts.by_antibody,
        "therapy": counts.by_therapy,
        "source": counts.by_source,
    }
    if fmt is Format.csv:
        import pandas as pd

        long = pd.concat(
            [
                f.rename(columns={f.columns[0]: "value"}).assign(grouping=name)
                for name, f in parts.items()
            ],
            ignore_index=True,
        )
        for c in ("patients", "seed_papers", "beyond_seeds", "courses", "duplicates", "studies"):
            long[c] = long[c].astype("Int64")
        cols = [
            "grouping",
            "value",
            "patients",
            "seed_papers",
            "beyond_seeds",
            "courses",
            "terms",
            "how_grouped",
            "duplicates",
            "citation",
            "studies",
        ]
        sys.stdout.write(long[[c for c in cols if c in long.columns]].to_csv(index=False))
    elif fmt is Format.json:
        import json

        data = {
            name: f.astype(object).where(f.notna(), None).to_dict("records")
            for name, f in parts.items()
        }
        beyond = counts.beyond_seeds
        totals = {
            "patients": counts.n_patients,
            "publications": counts.n_publications,
            "studies": counts.n_studies,
            "duplicates": counts.n_duplicates,
            "seed_papers": {
                "patients": counts.n_patients_seeds,
                "publications": counts.n_publications_seeds,
                "studies": counts.n_studies_seeds,
            },
            "beyond_seeds": {
                "patients": beyond[0],
                "publications": beyond[1],
                "studies": beyond[2],
            },
        }
        sys.stdout.write(
            json.dumps({"summary": counts.summary(), "totals": totals, **data}, indent=2) + "\n"
        )
    else:
        from myotrack.cli_render import render_frame

        out.print(counts.summary(), markup=False, highlight=False)
        out.print(render_frame(counts.by_antibody, title="Patients by antibody"))
        out.print(
            render_frame(
                counts.by_therapy,
                title="Patients by therapy (any course; recorded terms grouped by the drug vocabulary)",
            )
        )
        out.print(
            render_frame(counts.by_source, title="Patients and study-level results by source paper")
        )


@app.command()
def evidence(
    source: Annotated[
        Path | None,
        typer.Argument(
            help="With --patient: the source (CSV folder, .zip or .xlsx) holding that patient.",
            show_default=False,
        ),
    ] = None,
    patient: Annotated[
        str | None, typer.Option(help="Patient id in SOURCE whose profile to use.")
    ] = None,
    antibody: Annotated[str | None, typer.Option(help="SRP, HMGCR or seronegative.")] = None,
    failed: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated therapies already received (failed or not tolerated), any synonym."
        ),
    ] = None,
    comorbidity: Annotated[
        str | None, typer.Option(help="Comma-separated comorbidity terms, e.g. hbv,cirrhosis.")
    ] = None,
    age: Annotated[float | None, typer.Option(help="Age at onset, years.")] = None,
    sex: Annotated[str | None, typer.Option(help="F or M.")] = None,
    disease_years: Annotated[float | None, typer.Option(help="Disease duration, years.")] = None,
    candidate: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated therapies under discussion: their published safety notes are shown too."
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="How many similar published patients to list.")] = 10,
    fmt: FormatOpt = Format.table,
    section: Annotated[
        EvidenceSection, typer.Option(help="With --format csv: which part to write.")
    ] = EvidenceSection.therapies,
) -> None:
    """Published patients similar to a profile, what they received next, and the published cautions.

    Shows evidence with its sources; it does not recommend a therapy.

    Example: myotrack evidence --antibody SRP --failed rituximab,ivig --comorbidity hbv
    Example: myotrack evidence --patient P001 registry.xlsx --format json
    Example: myotrack evidence check   (curation checks of the evidence base; exit 1 on an error)
    """
    from dataclasses import replace

    from myotrack.evidence import find_evidence, make_profile, profile_from_source

    if source is not None and str(source) == "check" and not source.exists():
        _evidence_check(fmt)
        return
    given = make_profile(
        antibody, _csv_list(failed), _csv_list(comorbidity), disease_years, age, sex
    )
    exclude: list[str] = []
    if patient:
        if source is None:
            raise MyotrackError(
                "--patient needs the SOURCE that holds the patient, e.g. myotrack evidence --patient P001 data.xlsx"
            )
        from myotrack.interchange import read_any as read_source

        prof = profile_from_source(read_source(source), patient)
        prof = replace(
            prof,
            antibody=given.antibody or prof.antibody,
            failed=given.failed or prof.failed,
            comorbidities=given.comorbidities or prof.comorbidities,
            disease_years=given.disease_years
            if given.disease_years is not None
            else prof.disease_years,
            age=given.age if given.age is not None else prof.age,
            sex=given.sex or prof.sex,
        )
        exclude.append(patient)
    elif source is not None:
        raise MyotrackError("a SOURCE is only used with --patient ID")
    else:
        if given == make_profile():
            raise MyotrackError(
                "describe the patient: --antibody, --failed, --comorbidity, --age, --sex, "
                "--disease-years, or --patient ID SOURCE"
            )
        prof = given
    result = find_evidence(prof, exclude=exclude, candidates=_csv_list(candidate))
    if fmt is Format.csv:
        frames = {
            EvidenceSection.therapies: result.therapies_frame(),
            EvidenceSection.matches: result.matches_frame(top),
            EvidenceSection.safety: result.safety_frame(),
            EvidenceSection.studies: result.studies,
        }
        sys.stdout.write(frames[section].to_csv(index=False))
    elif fmt is Format.json:
        import json

        sys.stdout.write(json.dumps(result.to_dict(top), indent=2, default=str) + "\n")
    else:
        from myotrack.cli_render import render_frame

        out.print(result.notice, style="bold", markup=False, highlight=False)
        out.print(f"Profile: {prof.describe()}", markup=False, highlight=False)
        m = result.matches_frame(top)
        out.print(
            render_frame(
                m[["patient_id", "score", "comparable", "matching_point", "received_after", "why"]],
                title=f"Most similar published patients (top {top} of {len(result.matches)})",
            )
        )
        t = result.therapies_frame()
        if t.empty:
            out.print(
                "No comparable published patient received a therapy after the ones named.",
                markup=False,
            )
        else:
            out.print(
                render_frame(
                    result.therapies_frame(compact=True),
                    title="Received next by comparable published patients (same antibody, had every therapy named)",
                )
            )
        for note in result.safety:
            out.print(f"Caution: {note.text()}", markup=False, highlight=False)
        if not result.studies.empty:
            cols = [
                "study",
                "population",
                "therapy",
                "n_treated",
                "n_responding",
                "ci_low",
                "ci_high",
                "response_definition",
            ]
            out.print(render_frame(result.studies[cols], title="Study-level results"))
        for seed, cite in result.references:
            out.print(f"[{seed}] {cite}", markup=False, highlight=False)
        out.print(
            "Row-level citations: --format json (or --format csv --section therapies).",
            markup=False,
            highlight=False,
        )


def _evidence_check(fmt: Format) -> None:
    """``myotrack evidence check``: provenance, contract, duplicates and study arithmetic."""
    from myotrack.evidence.check import check_evidence

    result = check_evidence()
    if fmt is Format.csv:
        sys.stdout.write(result.frame().to_csv(index=False))
    elif fmt is Format.json:
        import json

        data = {"summary": result.summary(), "findings": result.frame().to_dict("records")}
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        for f in result.findings:
            out.print(str(f), markup=False, highlight=False)
        out.print(result.summary(), markup=False, highlight=False)
    if not result.ok:
        raise typer.Exit(1)


# --- cohort report ----------------------------------------------------------------------------

#: Cohorts with at least this many patients get a progress bar while the report is built.
REPORT_PROGRESS_MIN_PATIENTS = 30


@app.command()
def report(
    source: OptionalSourceArg = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The HTML file to write.", show_default=False),
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by",
            help="A criterion id (e.g. favourable_recovery_6m) or a patient variable "
            "(e.g. antibody) for Table 1's columns, Table 2 and the survival curves.",
        ),
    ] = None,
    figures: Annotated[
        Path | None,
        typer.Option(
            "--figures",
            help="Also write every figure as PNG and SVG and every table as CSV into this folder.",
        ),
    ] = None,
    db: DbOpt = None,
    schema: SchemaOpt = None,
    omop: OmopOpt = None,
    cdm_schema: CdmSchemaOpt = None,
    vocab_schema: VocabSchemaOpt = None,
    conditions: ConditionsOpt = None,
    antibodies: AntibodiesOpt = None,
    match: MatchOpt = "any",
) -> None:
    """Write the cohort report: one HTML file that opens without a network connection.

    Cohort summary, Table 1, Table 2 (with --group-by), relapse-free survival, rates with exact
    intervals, therapy lines and every patient's timeline with the outcomes and their reasons.

    Example: myotrack report my_cohort.xlsx -o report.html --group-by favourable_recovery_6m
    """
    from myotrack.interchange.sources import read_spec
    from myotrack.report import build_report

    if output is None:
        raise MyotrackError("--output FILE.html is required")
    spec = _spec(source, db, schema, omop, cdm_schema, vocab_schema, conditions, antibodies, match)
    ds = read_spec(spec)
    if len(ds.patients) >= REPORT_PROGRESS_MIN_PATIENTS:
        from rich.progress import Progress, TaskID

        labels = {
            "outcomes": "evaluating criteria",
            "tables": "computing tables",
            "patients": "drawing timelines",
            "figures": "writing PNG/SVG figures",
        }
        with Progress(console=err, transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done)

            built = build_report(ds, group_by=group_by, figures_dir=figures, progress=progress)
    else:
        built = build_report(ds, group_by=group_by, figures_dir=figures)
    written = built.write(output)
    out.print(f"wrote {written}", markup=False, highlight=False)
    if figures is not None:
        out.print(
            f"wrote {len(built.files)} figure and table files to {figures}",
            markup=False,
            highlight=False,
        )


# --- synthetic cohorts ------------------------------------------------------------------------


@app.command()
def synth(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="A folder for the CSV files, or a workbook (.xlsx).",
            show_default=False,
        ),
    ],
    patients: Annotated[
        int, typer.Option("--patients", "-n", min=1, help="Number of patients.")
    ] = 1000,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", "-s", min=0, help="Random seed: the same seed gives the same cohort."
        ),
    ] = 1,
    visits: Annotated[
        int | None,
        typer.Option(
            "--visits",
            min=14,
            help="Visits per patient (monthly for a year, then every three months). "
            "Default: follow-up as in seed 004 (17 months to 12 years).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing file or folder.")
    ] = False,
) -> None:
    """Write a synthetic IMNM cohort drawn from the seed papers' published figures.

    Antibody mix, sex, age, CK, MRC sum, mRS, treatment ladder, relapses and adverse events
    follow the seeds (see myotrack.synth.PARAMETERS for every number and its source). Made-up
    patients only: for tests, demos and load tests.

    Example: myotrack synth --patients 1000 --seed 7 -o synthetic_cohort
    """
    from myotrack.synth import generate
    from myotrack.synth.output import check_target, save
    from myotrack.tables import TABLE_NAMES

    check_target(output, patients, visits, force)
    ds = generate(patients, seed, visits)
    written = save(ds, output)
    counts = ", ".join(f"{len(ds.table(n)):,} {n}" for n in TABLE_NAMES)
    out.print(f"wrote {written} ({counts}; seed {seed}).", markup=False, highlight=False)


# --- interchange (REDCap, FHIR) ---

redcap_app = typer.Typer(
    help="REDCap: myotrack's own project (dictionary, records) and mappings of existing projects.\n\n"
    "Example: myotrack redcap dictionary -o dict.csv",
    no_args_is_help=True,
    rich_markup_mode=None,
)
fhir_app = typer.Typer(
    help="FHIR R4: one transaction Bundle per patient, read back as a source.\n\n"
    "Example: myotrack fhir export my_cohort.xlsx -o bundles",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(redcap_app, name="redcap")
app.add_typer(fhir_app, name="fhir")


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    redcap = "redcap"
    fhir = "fhir"
    phenopacket = "phenopacket"


#: ``myotrack export published ...``: the built-in evidence base as the source
PUBLISHED = "published"


OutOpt = Annotated[Path, typer.Option("--output", "-o", help="Where to write.", show_default=False)]
NotesOpt = Annotated[
    bool,
    typer.Option(
        "--include-notes",
        help="Also write free-text notes (left out by default: exports are de-identified).",
    ),
]
LossesOpt = Annotated[
    Path | None,
    typer.Option("--losses", help="Also write the values the format could not hold to this CSV."),
]


def _print_export(result: object, losses: Path | None) -> None:
    from myotrack.interchange.losses import ExportResult

    assert isinstance(result, ExportResult)
    out.print(result.summary(), markup=False, highlight=False)
    for loss in result.losses[:20]:
        out.print(f"  - {loss}", markup=False, highlight=False)
    if len(result.losses) > 20:
        out.print(
            f"  ... and {len(result.losses) - 20} more (--losses FILE lists them all)",
            markup=False,
            highlight=False,
        )
    if losses is not None:
        result.frame().to_csv(losses, index=False)
        out.print(f"wrote {losses}", markup=False, highlight=False)


def _index_dates(path: Path | None) -> dict[str, date] | None:
    if path is None:
        return None
    from myotrack.interchange.fhir import read_index_dates

    return dict(read_index_dates(path))


@redcap_app.command("dictionary")
def redcap_dictionary(
    output: OutOpt,
    setup: Annotated[
        Path | None,
        typer.Option(
            "--setup",
            help="Also write the events, instrument-event and repeating set-up CSVs here.",
        ),
    ] = None,
    classic: Annotated[
        bool, typer.Option("--classic", help="With --setup: a classic project (no events).")
    ] = False,
) -> None:
    """Write the data dictionary of myotrack's own REDCap project (18-column CSV).

    Example: myotrack redcap dictionary -o dict.csv --setup project_setup
    """
    from myotrack.interchange.redcap import check_dictionary, project_dictionary, write_dictionary
    from myotrack.interchange.redcap.project import setup_tables

    fields = project_dictionary()
    problems = check_dictionary(fields)
    if problems:  # a bug of ours, never the user's
        raise MyotrackError("\n".join(str(p) for p in problems))
    written = write_dictionary(fields, output)
    out.print(f"wrote {written} ({len(fields)} fields)", markup=False, highlight=False)
    if setup is not None:
        import pandas as pd

        setup.mkdir(parents=True, exist_ok=True)
        for name, rows in setup_tables(classic).items():
            pd.DataFrame(rows).to_csv(setup / f"{name}.csv", index=False)
            out.print(f"wrote {setup / f'{name}.csv'}", markup=False, highlight=False)


@redcap_app.command("check")
def redcap_check(
    dictionary: Annotated[Path, typer.Argument(help="A data dictionary CSV.", show_default=False)],
) -> None:
    """Check a data dictionary against REDCap's rules (names, types, choices, validation, logic).

    Example: myotrack redcap check dict.csv
    """
    import csv

    from myotrack.interchange.redcap import check_dictionary, read_dictionary

    fields = read_dictionary(dictionary)
    with dictionary.open(encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh), [])
    problems = check_dictionary(fields, header, dictionary.name)
    for p in problems:
        out.print(str(p), markup=False, highlight=False)
    if problems:
        err.print(f"{len(problems)} problem(s) in {dictionary}.", markup=False)
        raise typer.Exit(1)
    out.print(f"{dictionary}: {len(fields)} fields, no problem found.", markup=False)


@redcap_app.command("export")
def redcap_export(
    source: SourceArg,
    output: OutOpt,
    classic: Annotated[
        bool, typer.Option("--classic", help="For a classic project (no events).")
    ] = False,
    include_notes: NotesOpt = False,
    losses: LossesOpt = None,
) -> None:
    """Write a source as records of myotrack's REDCap project (REDCap's flat import format).

    Every value the project cannot hold is listed. Import the records into a project made
    from 'myotrack redcap dictionary'.

    Example: myotrack redcap export my_cohort.xlsx -o records.csv
    """
    from myotrack.interchange import read_any
    from myotrack.interchange.redcap import write_records

    result = write_records(read_any(source), output, classic, include_notes)
    _print_export(result, losses)


@redcap_app.command("map")
def redcap_map(
    dictionary: Annotated[
        Path, typer.Argument(help="The data dictionary of an existing project.", show_default=False)
    ],
    output: OutOpt,
    suggest: Annotated[
        bool,
        typer.Option("--suggest", help="Suggest a first mapping from names, labels and choices."),
    ] = False,
) -> None:
    """Write a mapping (TOML) of an existing project's fields and codes to the contract.

    Review it, then put it as redcap_mapping.toml in a folder with redcap_dictionary.csv and
    redcap_records.csv: that folder is a source for every command.

    Example: myotrack redcap map their_dict.csv --suggest -o redcap_mapping.toml
    """
    from myotrack.interchange.redcap import read_dictionary
    from myotrack.interchange.redcap.mapping import dump_mapping
    from myotrack.interchange.redcap.suggest import suggest_mapping

    if not suggest:
        raise MyotrackError("only suggestions are written for now: add --suggest")
    s = suggest_mapping(read_dictionary(dictionary))
    output.write_text(dump_mapping(s.mapping, s.comments, s.unmapped), encoding="utf-8")
    out.print(
        f"wrote {output}: {len(s.mapping.fields)} fields mapped, {len(s.unmapped)} not; review it",
        markup=False,
        highlight=False,
    )


@fhir_app.command("export")
def fhir_export(
    source: SourceArg,
    output: OutOpt,
    ndjson: Annotated[
        bool, typer.Option("--ndjson", help="Write an NDJSON bulk export (one file per type).")
    ] = False,
    index_dates: Annotated[
        Path | None,
        typer.Option(
            "--index-dates",
            help="CSV of patient_id,index_date (YYYY-MM-DD): write dates instead of relative days "
            "(an identified export).",
        ),
    ] = None,
    include_notes: NotesOpt = False,
    losses: LossesOpt = None,
) -> None:
    """Write a source as FHIR R4: one transaction Bundle per patient, validated.

    Example: myotrack fhir export my_cohort.xlsx -o bundles
    """
    from myotrack.interchange import read_any
    from myotrack.interchange.fhir import write_fhir

    result = write_fhir(
        read_any(source),
        output,
        ndjson=ndjson,
        index_dates=_index_dates(index_dates),
        include_notes=include_notes,
    )
    _print_export(result, losses)


@app.command("export")
def export(
    source: SourceArg,
    output: OutOpt,
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", "-f", help="csv (folder), xlsx, redcap, fhir or phenopacket."),
    ] = ExportFormat.csv,
    include_notes: NotesOpt = False,
    losses: LossesOpt = None,
) -> None:
    """Write any source in another format: a CSV folder, a workbook, REDCap records, FHIR or
    GA4GH phenopackets (one per patient and a cohort.json). SOURCE 'published' is the built-in
    evidence base.

    Example: myotrack export my_cohort.xlsx --format fhir -o bundles
    Example: myotrack export published --format phenopacket -o evidence_phenopackets
    """
    from myotrack.interchange import read_any

    if str(source) == PUBLISHED and not source.exists():
        from myotrack.evidence import load_evidence

        ds = load_evidence()
    else:
        ds = read_any(source)
    if fmt is ExportFormat.csv:
        from myotrack.tables import write_csv_folder

        out.print(f"wrote {write_csv_folder(ds, output)}", markup=False, highlight=False)
    elif fmt is ExportFormat.xlsx:
        from myotrack.tables import write_excel

        out.print(f"wrote {write_excel(ds, output)}", markup=False, highlight=False)
    elif fmt is ExportFormat.redcap:
        from myotrack.interchange.redcap import write_records

        _print_export(write_records(ds, output, include_notes=include_notes), losses)
    elif fmt is ExportFormat.phenopacket:
        from myotrack.interchange.phenopackets import write_phenopackets

        result = write_phenopackets(ds, output, include_notes=include_notes, cohort_id=ds.name)
        _print_export(result, losses)
    else:
        from myotrack.interchange.fhir import write_fhir

        _print_export(write_fhir(ds, output, include_notes=include_notes), losses)


# --- registry (web) ---------------------------------------------------------------------------


@app.command()
def serve(
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Create a fresh demo database with the published cases and a demo administrator.",
        ),
    ] = False,
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (127.0.0.1: this computer only).")
    ] = "127.0.0.1",
    migrate: Annotated[
        bool,
        typer.Option("--migrate", help="Create or upgrade the registry database before serving."),
    ] = False,
    admin: Annotated[
        str | None,
        typer.Option("--admin", help="Create this administrator (password printed once)."),
    ] = None,
) -> None:
    """Serve the registry (web application) with waitress.

    The database is MYOTRACK_DATABASE_URL (PostgreSQL) or the SQLite file in MYOTRACK_HOME
    (default ~/.myotrack). A new registry: myotrack serve --migrate --admin alice

    Example: myotrack serve --demo --port 8000
    """
    from myotrack.web import server

    if demo:
        from myotrack.web.home import data_home

        made = server.prepare_demo(data_home())
        out.print(
            f"demo registry: {made.database} ({made.patients} published patients)",
            markup=False,
            highlight=False,
        )
        out.print(
            f"log in as {made.username} with password {made.password} (shown only now)",
            markup=False,
            highlight=False,
        )
    else:
        server.setup()
        if migrate:
            server.migrate()
        server.check_ready()
        if admin:
            password = server.create_admin(admin)
            out.print(
                f"administrator {admin} created; password {password} (shown only now)",
                markup=False,
                highlight=False,
            )
    out.print(f"serving on http://{host}:{port}/ (Ctrl+C to stop)", markup=False, highlight=False)
    server.serve(host=host, port=port)


BackupArg = Annotated[
    Path, typer.Argument(help="The backup file (any name, e.g. registry-2026-12-01.backup).")
]


@app.command()
def backup(
    path: BackupArg,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Copy the registry's database to a file, while the registry serves.

    SQLite: SQLite's online backup (one self-contained file). PostgreSQL
    (MYOTRACK_DATABASE_URL): pg_dump's custom format (needs the PostgreSQL client programs).
    The backup is recorded in the audit trail. Restore it with 'myotrack restore'.

    Example: myotrack backup /srv/backups/registry-2026-12-01.backup
    """
    from myotrack.web import server

    server.setup()
    server.check_ready()
    from myotrack.web.backup import backup_database

    made = backup_database(path, overwrite=force)
    out.print(
        f"backed up the registry ({made.describe()}) to {made.path}", markup=False, highlight=False
    )


@app.command()
def restore(
    path: BackupArg,
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the registry's database without asking.")
    ] = False,
) -> None:
    """Replace the registry's database with a backup made by 'myotrack backup'.

    Everything entered since the backup is lost. A backup of another engine or of a newer
    myotrack is refused before anything is replaced; an older one is migrated. The restore is
    recorded in the audit trail. Restart a running server afterwards.

    Example: myotrack restore /srv/backups/registry-2026-12-01.backup --yes
    """
    from myotrack.web import server

    server.setup()
    if not yes and not typer.confirm(
        f"Replace the registry's database with {path}? Changes since the backup are lost"
    ):
        raise typer.Abort()
    from myotrack.web.backup import restore_database

    made = restore_database(path)
    out.print(
        f"restored the registry ({made.describe()}) from {made.path}", markup=False, highlight=False
    )
    if made.migrated:
        out.print(f"migrated: {', '.join(made.migrated)}", markup=False, highlight=False)
    out.print("restart the server if it is running", markup=False, highlight=False)


# --- entry point ------------------------------------------------------------------------------


def main() -> None:
    """Run the command; print user errors as messages, never as tracebacks."""
    try:
        code = app(standalone_mode=False)
    except MyotrackError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted", markup=False)
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
    except Exception as exc:  # usage errors arrive as the CLI library's own exceptions
        show = getattr(exc, "show", None)
        exit_code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()

"""The ``myotrack`` command. It parses arguments, calls the library and prints; nothing else.

Errors a user can fix (``MyotrackError``) are printed as messages with exit code 1, never as a
traceback.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from myotrack.errors import InvalidData, MyotrackError

app = typer.Typer(
    name="myotrack",
    help="Record, derive, analyse and compare the course of patients with immune-mediated "
    "necrotizing myopathy, by the published evidence.\n\n"
    "Example: myotrack outcomes examples/cohort17",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


SourceArg = Annotated[Path, typer.Argument(help="A folder of CSV files, a .zip of them, or an .xlsx workbook.", show_default=False)]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table (readable), csv or json.")]


# --- tables -------------------------------------------------------------------------------


@app.command()
def validate(source: SourceArg) -> None:
    """Check a source against the five-table contract and list every problem (exit 1 if any).

    Example: myotrack validate my_cohort.xlsx
    """
    from myotrack.tables import read_source

    try:
        ds = read_source(source)
    except InvalidData as exc:
        for p in exc.problems:
            out.print(str(p), markup=False, highlight=False)
        err.print(f"{len(exc.problems)} problem(s) in {source}; fix them and run again.", markup=False)
        raise typer.Exit(1) from None
    counts = ", ".join(f"{len(ds.table(n))} {n}" for n in ("patients", "visits", "strength", "treatments", "events"))
    out.print(f"{source}: valid ({counts}).", markup=False, highlight=False)


@app.command()
def template(
    path: Annotated[Path, typer.Argument(help="Where to write the workbook (.xlsx).", show_default=False)],
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
    source: SourceArg,
    fmt: FormatOpt = Format.table,
    anchor: Annotated[
        str | None,
        typer.Option(help="Drug whose first course anchors response criteria (e.g. rituximab, hicy). "
                     "Default: each criterion's own rule (see 'myotrack criteria')."),
    ] = None,
    only: Annotated[
        str | None, typer.Option("--criteria", help="Comma-separated criterion ids (default: all).")
    ] = None,
    details: Annotated[bool, typer.Option("--details/--no-details", help="Show detail columns in the table view.")] = False,
) -> None:
    """One row per patient: every outcome criterion as yes / no / not_evaluable, with details.

    Example: myotrack outcomes examples/cohort17 --format csv > outcomes.csv
    """
    from myotrack.criteria import Params, evaluate
    from myotrack.tables import read_source

    ds = read_source(source)
    ids = [c.strip() for c in only.split(",") if c.strip()] if only else None
    result = evaluate(ds, criteria=ids, params=Params(anchor=anchor))
    frame = result.frame
    if fmt is Format.csv:
        sys.stdout.write(frame.to_csv(index=False))
    elif fmt is Format.json:
        sys.stdout.write(frame.to_json(orient="records", indent=2) + "\n")
    else:
        from myotrack.cli_render import render_frame

        shown = frame if details else frame[[c for c in frame.columns if "__" not in c]]
        out.print(render_frame(shown, title=f"Outcomes: {source}"))


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


# --- cohort report ----------------------------------------------------------------------------


# --- synthetic cohorts ------------------------------------------------------------------------


# --- registry (web) ---------------------------------------------------------------------------


# --- entry point ------------------------------------------------------------------------------


def main() -> None:
    """Run the command; print user errors as messages, never as tracebacks."""
    try:
        app(standalone_mode=False)
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
    except Exception as exc:  # click usage errors arrive as click exceptions
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()

"""The registry in a real browser: Playwright driving Debian's chromium (scripts/browser.sh).

Log in, add a patient with visits and a treatment, see the outcomes on the patient page (and
a screenshot of it under test-output/web/), then import a workbook with an error (nothing is
saved) and the corrected workbook (everything is saved).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from myotrack.tables import read_source, write_excel

CHROMIUM = "/usr/bin/chromium"
PUBLISHED = Path(__file__).resolve().parents[2] / "src" / "myotrack" / "evidence" / "data"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="chromium is not installed (scripts/browser.sh installs it)",
    ),
]


@pytest.fixture
def page(live_server: Any, transactional_db: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            context = browser.new_context(
                viewport={"width": 1300, "height": 900}, base_url=live_server.url
            )
            tab = context.new_page()
            tab.set_default_timeout(60_000)
            yield tab
            context.close()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_enter_a_patient_and_import_workbooks(
    page: Any, tmp_path: Path, output_dir: Path, password: str, user_factory: Any
) -> None:
    from myotrack.web.accounts.models import Site
    from myotrack.web.patients.models import Patient
    from myotrack.web.treatments.models import Treatment
    from myotrack.web.visits.models import Visit

    site = Site.objects.create(name="North Centre")
    user_factory("coordinator", "data_manager", [site])

    page.goto("/")
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", password)
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/patients/")

    page.click("nav >> text=New patient")
    page.fill("#id_patient_id", "NC-001")
    page.fill("#id_index_date", "2024-01-01")
    page.select_option("#id_antibody", "SRP")
    page.select_option("#id_sex", "F")
    page.fill("#id_age_at_onset", "46")
    page.click("button:has-text('Save')")
    page.wait_for_selector("h1:has-text('Patient NC-001')")

    for date, ck, mrc, mrs, grade in (
        ("2024-01-31", "9000", "40", "3", "3"),
        ("2024-07-19", "150", "60", "1", "5"),
    ):
        page.click("text=Add visit")
        page.fill("#id_date", date)
        page.fill("#id_ck", ck)
        page.fill("#id_ck_uln", "200")
        page.fill("#id_mrc_sum", mrc)
        page.fill("#id_mrs", mrs)
        page.fill("#id_grade__hip_flexors__left", grade)
        page.fill("#id_grade__hip_flexors__right", grade)
        page.click("button:has-text('Save visit')")
        page.wait_for_selector("h1:has-text('Patient NC-001')")

    page.click("text=Add treatment")
    page.fill("#id_drug", "RTX")
    page.fill("#id_start_date", "2024-02-01")
    page.fill("#id_dose", "1000")
    page.fill("#id_dose_unit", "mg")
    page.fill("#id_schedule", "twice, two weeks apart")
    page.click("button:has-text('Save treatment')")
    page.wait_for_selector("h1:has-text('Patient NC-001')")

    patient = Patient.objects.get(code="NC-001")
    assert list(Visit.objects.filter(patient=patient).values_list("day", flat=True)) == [30, 200]
    assert Treatment.objects.get(patient=patient).drug == "rituximab"
    rtx = page.locator("tr[data-criterion='rtx_response'] td.value")
    assert rtx.inner_text().strip() == "yes"
    assert (
        page.locator("tr[data-criterion='full_strength_last'] td.value").inner_text().strip()
        == "yes"
    )
    page.wait_for_selector("figure.timeline svg")  # loaded by the page's script after it
    page.wait_for_selector("#evidence div.part:not([data-part])")  # loaded too
    assert "could not be loaded" not in page.locator("#evidence").inner_text()
    timeline = page.locator("figure.timeline svg")
    assert timeline.count() == 1 and timeline.bounding_box()["height"] > 200
    page.screenshot(path=str(output_dir / "patient-page.png"), full_page=True)

    # a workbook with an error: every problem listed, nothing saved
    source = read_source(PUBLISHED / "002_mecoli2017")
    good = write_excel(source, tmp_path / "good" / "mecoli.xlsx")
    frames = {
        name: pd.read_excel(good, sheet_name=name, dtype=str, keep_default_na=False)
        for name in ("patients", "visits", "strength", "treatments", "events")
    }
    frames["visits"].loc[0, "ck"] = "-5"
    bad = tmp_path / "bad" / "mecoli.xlsx"
    bad.parent.mkdir()
    with pd.ExcelWriter(bad, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    before = Patient.objects.count()

    page.click("nav >> text=Import")
    page.set_input_files("#id_file", str(bad))
    page.click("button:has-text('Check the file')")
    page.wait_for_selector("table.problems")
    assert "CK cannot be negative" in page.locator("table.problems").inner_text()
    assert page.locator("button:has-text('Import all')").count() == 0
    page.screenshot(path=str(output_dir / "import-problems.png"), full_page=True)
    assert Patient.objects.count() == before

    page.click("text=Upload a corrected file")
    shutil.copy(good, tmp_path / "mecoli.xlsx")
    page.set_input_files("#id_file", str(tmp_path / "mecoli.xlsx"))
    page.click("button:has-text('Check the file')")
    page.wait_for_selector("button:has-text('Import all')")
    page.click("button:has-text('Import all')")
    page.wait_for_url("**/patients/")
    assert Patient.objects.count() == before + len(source.patients)
    assert Visit.objects.filter(patient__code__in=source.patient_ids).count() == len(source.visits)
    assert "Imported mecoli.xlsx" in page.locator("ul.messages").inner_text()

"""One suite, two databases: the registry's tests on SQLite (this run) and on PostgreSQL.

With ``MYOTRACK_TEST_POSTGRES_URL`` set (``scripts/postgres.sh start`` prints one), the postgres
test runs every other web test again against that server (``MYOTRACK_TEST_DB=postgres``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

HERE = Path(__file__).resolve().parent
URL = os.environ.get("MYOTRACK_TEST_POSTGRES_URL", "").strip()


def test_the_selected_database_is_in_use(db: object) -> None:
    expected = (
        "postgresql" if os.environ.get("MYOTRACK_TEST_DB", "sqlite") == "postgres" else "sqlite"
    )
    assert connection.vendor == expected


@pytest.mark.postgres
@pytest.mark.skipif(
    not URL, reason="MYOTRACK_TEST_POSTGRES_URL is not set (scripts/postgres.sh start)"
)
def test_the_web_suite_passes_on_postgresql() -> None:
    own = (
        "DJANGO_SETTINGS_MODULE",
        "MYOTRACK_DATABASE_URL",
        "MYOTRACK_HOME",
        "MYOTRACK_SECRET_KEY",
    )
    env = {k: v for k, v in os.environ.items() if k not in own}
    env.update(MYOTRACK_TEST_DB="postgres", MYOTRACK_TEST_POSTGRES_URL=URL)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(HERE),
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not postgres and not browser",
        ],
        cwd=HERE.parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=3000,
        check=False,
    )
    tail = "\n".join(result.stdout.splitlines()[-40:])
    assert result.returncode == 0, tail
    summary = result.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 30, summary
    assert "failed" not in summary and "error" not in summary, summary

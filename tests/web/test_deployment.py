"""Behind a TLS proxy (``MYOTRACK_HTTPS=1``): form posts with an HTTPS origin work, HSTS is sent;
every page carries the security headers, and pages with patient data are never stored."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

#: What a TLS proxy passes on: the browser's Host, and that the browser spoke HTTPS.
PROXY = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "testserver"}


def csrf_login(client: Client, password: str, **headers: str) -> Any:
    """Log in as the viewer the way a browser does: the form's token, then the post."""
    page = client.get(reverse("login"), **headers)  # type: ignore[arg-type]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert token
    return client.post(
        reverse("login"),
        {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "username": "viewer",
            "password": password,
        },
        **headers,  # type: ignore[arg-type]
    )


def test_a_form_post_with_an_https_origin_works_behind_the_proxy(
    users: dict[str, Any], password: str, settings: Any
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    client = Client(enforce_csrf_checks=True)
    response = csrf_login(client, password, HTTP_ORIGIN="https://testserver", **PROXY)
    assert response.status_code == 302 and response["Location"] == reverse("patients:list")
    listed = client.get(reverse("patients:list"), **PROXY)  # type: ignore[arg-type]
    assert listed.status_code == 200
    assert listed["Strict-Transport-Security"] == "max-age=31536000"


def test_without_the_proxy_setting_an_https_origin_is_refused(
    users: dict[str, Any], password: str, settings: Any
) -> None:
    """Behind a TLS proxy every form post failed CSRF verification."""
    settings.SECURE_PROXY_SSL_HEADER = None
    client = Client(enforce_csrf_checks=True)
    response = csrf_login(client, password, HTTP_ORIGIN="https://testserver", **PROXY)
    assert response.status_code == 403


def test_a_trusted_origin_is_accepted_when_the_proxy_changes_the_host(
    users: dict[str, Any], password: str, settings: Any
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CSRF_TRUSTED_ORIGINS = ["https://registry.example.org"]
    origin = {"HTTP_ORIGIN": "https://registry.example.org", **PROXY}
    assert csrf_login(Client(enforce_csrf_checks=True), password, **origin).status_code == 302
    settings.CSRF_TRUSTED_ORIGINS = []
    assert csrf_login(Client(enforce_csrf_checks=True), password, **origin).status_code == 403


def test_every_page_has_the_security_headers(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    client.force_login(users["data_manager"])
    page = client.get(reverse("patients:detail", kwargs={"patient": patients["A"].pk}))
    assert page.status_code == 200
    csp = page["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert directive in csp, csp
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Frame-Options"] == "DENY"
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    for url in (reverse("patients:list"), reverse("analysis:cohort"), reverse("audit:list")):
        assert "no-store" in client.get(url)["Cache-Control"], url
    login = Client().get(reverse("login"))
    assert "Content-Security-Policy" in login and login["X-Frame-Options"] == "DENY"


def test_the_report_page_has_its_own_policy(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    """The self-contained report runs its own inline scripts, and nothing from elsewhere."""
    client.force_login(users["data_manager"])
    report = client.post(reverse("analysis:cohort_report"))
    assert report.status_code == 200 and b"<html" in report.content
    csp = report["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'unsafe-inline'" in csp
    assert "connect-src" not in csp and "frame-ancestors 'none'" in csp
    assert "no-store" in report["Cache-Control"]


def test_https_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "MYOTRACK"))}
    env.update(
        MYOTRACK_HOME=str(tmp_path),
        MYOTRACK_HTTPS="1",
        MYOTRACK_PROXY_SSL_HEADER="1",
        MYOTRACK_CSRF_TRUSTED_ORIGINS="https://registry.example.org, https://b.example.org",
    )
    code = (
        "import myotrack.web.settings as s; print(s.SECURE_PROXY_SSL_HEADER, "
        "s.CSRF_TRUSTED_ORIGINS, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == (
        "('HTTP_X_FORWARDED_PROTO', 'https') "
        "['https://registry.example.org', 'https://b.example.org'] 31536000 True True"
    )
    env.pop("MYOTRACK_HTTPS")
    env.pop("MYOTRACK_PROXY_SSL_HEADER")
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip().startswith("None ") and run.stdout.strip().endswith("0 False False")


def test_job_and_import_folders_come_from_the_environment(tmp_path: Path) -> None:
    """Server processes on several machines share the folders of job files and staged
    imports (MYOTRACK_JOB_DIR, MYOTRACK_IMPORT_DIR); by default both are in the data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "MYOTRACK"))}
    env["MYOTRACK_HOME"] = str(tmp_path / "home")
    code = "import myotrack.web.settings as s; print(s.JOB_DIR); print(s.IMPORT_DIR)"

    def folders(extra: dict[str, str]) -> list[str]:
        run = subprocess.run(
            [sys.executable, "-c", code],
            env=env | extra,
            capture_output=True,
            text=True,
            check=True,
        )
        return run.stdout.strip().splitlines()

    assert folders({}) == [str(tmp_path / "home" / "jobs"), str(tmp_path / "home" / "imports")]
    shared = tmp_path / "shared"
    assert folders(
        {"MYOTRACK_JOB_DIR": str(shared / "jobs"), "MYOTRACK_IMPORT_DIR": str(shared / "up")}
    ) == [str(shared / "jobs"), str(shared / "up")]


def test_behind_a_tls_proxy_the_served_registry_accepts_a_log_in(tmp_path: Path) -> None:
    """'myotrack serve' with MYOTRACK_HTTPS=1 and MYOTRACK_PROXY_SSL_HEADER=1, spoken to as the
    proxy does (plain HTTP on loopback, the browser's Host, Origin and X-Forwarded-Proto)."""
    import http.client
    import time
    from urllib.parse import urlencode

    from tests.web.test_serve import clean_env, free_port

    port = free_port()
    env = clean_env(tmp_path) | {"MYOTRACK_HTTPS": "1", "MYOTRACK_PROXY_SSL_HEADER": "1"}
    env["MYOTRACK_ALLOWED_HOSTS"] = "registry.example.org"
    proc = subprocess.Popen(
        [sys.executable, "-m", "myotrack.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    cookies: dict[str, str] = {}

    def request(method: str, path: str, body: str = "") -> tuple[http.client.HTTPResponse, str]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {
            "Host": "registry.example.org",
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        }
        if method == "POST":
            headers["Origin"] = "https://registry.example.org"
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name] = rest.split(";", 1)[0]
            assert "Secure" in header, header  # cookies only over HTTPS
        return response, text

    try:
        assert proc.stdout is not None
        output = ""
        while "serving on" not in output:
            line = proc.stdout.readline()
            assert line, output
            output += line
        password = re.search(r"password (\S+) \(shown only now\)", output)
        assert password, output
        for _ in range(120):
            try:
                health, _ = request("GET", "/health")
                break
            except OSError:
                time.sleep(0.5)
        assert health.status == 200
        assert health.headers["Strict-Transport-Security"] == "max-age=31536000"
        _, text = request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        assert token
        form = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": "demo-admin",
                "password": password.group(1),
            }
        )
        login, _ = request("POST", "/accounts/login/", form)
        assert login.status == 302 and login.headers["Location"] == "/patients/", login.status
        listed, _ = request("GET", "/patients/")
        assert listed.status == 200
        assert "no-store" in listed.headers["Cache-Control"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)

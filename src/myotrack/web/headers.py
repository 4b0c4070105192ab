"""Headers of every response beyond Django's own (``X-Content-Type-Options``,
``Referrer-Policy``, ``X-Frame-Options`` and HSTS come from its middleware and settings):

- ``Content-Security-Policy``: ``CONTENT_SECURITY_POLICY``, unless the view set its own (the
  cohort report, :data:`REPORT_POLICY`);
- ``Cache-Control: no-store`` (with ``private``, ``no-cache``) on every page but the static
  files: pages show patient data, and a browser or proxy must not keep them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

#: The self-contained cohort report runs its own inline scripts (the figures) and styles, and
#: loads, sends and frames nothing.
REPORT_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class SecurityHeaders:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        if not request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            add_never_cache_headers(response)
        return response

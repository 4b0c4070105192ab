"""``/health``: whether the registry can reach its database, for a monitor or a load balancer.

No log-in; the answer holds nothing about patients or users: ``{"status": "ok", "database":
"reachable"}`` (200) or ``{"status": "error", "database": "unreachable", "error": kind}`` (503).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


def database_error() -> str | None:
    """None when a query runs, else the kind of error (its type; never its message)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as err:
        return type(err).__name__
    return None


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    error = database_error()
    if error is None:
        return JsonResponse({"status": "ok", "database": "reachable"})
    return JsonResponse({"status": "error", "database": "unreachable", "error": error}, status=503)

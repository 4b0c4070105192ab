"""The WSGI application of the registry (served by waitress through ``myotrack serve``)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myotrack.web.settings")
application = get_wsgi_application()

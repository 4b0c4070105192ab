"""Running an analysis for a page without letting its failure take the page down.

A user error (``MyotrackError``) is shown as it is. Anything else is a defect: the page says
the analysis could not be run, and the log gets its kind and place, never its message (which
could hold patient data).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from myotrack.errors import MyotrackError

from ..logs import raised_at

T = TypeVar("T")
log = logging.getLogger("myotrack.web.analysis")


def safely(what: str, compute: Callable[[], T]) -> tuple[T | None, str]:
    """(result, '') or (None, a message for the page)."""
    try:
        return compute(), ""
    except MyotrackError as err:
        return None, str(err)
    except Exception as err:  # a defect: keep the page, report where
        place = raised_at(err)
        log.error("%s failed: %s%s", what, type(err).__name__, place)
        return (
            None,
            f"The {what} could not be computed for these data ({type(err).__name__}); the error was logged.",
        )

"""Logging without patient data: an error is logged by its status, path (ids only), exception
type and the place in the code where it was raised, never by message, values or traceback.

A record is rewritten once: a second pass (the filter attached twice, or on a handler and a
logger) leaves it as the first made it."""

from __future__ import annotations

import logging
import traceback


def raised_at(err: BaseException) -> str:
    """' at FILE:LINE' where ``err`` was raised ('' without a traceback): the place to log
    with the error's type, never its message."""
    frames = traceback.extract_tb(err.__traceback__)
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""


class WithoutPatientData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "without_patient_data", False):
            return True
        record.without_patient_data = True
        request = getattr(record, "request", None)
        status = getattr(record, "status_code", "")
        parts = [str(status or record.levelname), str(getattr(request, "path", "") or "")]
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            parts.append(type(exc).__name__)
            frames = traceback.extract_tb(exc.__traceback__)
            if frames:
                last = frames[-1]
                parts.append(f"at {last.filename}:{last.lineno} in {last.name}")
        record.msg = " ".join(p for p in parts if p)
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True

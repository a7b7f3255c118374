"""Logging: one JSON object per line in production (plain text in development), with the request id on every
line logged while a request is served."""

from __future__ import annotations

import contextvars
import logging
import logging.config
import re
import uuid

from auditor.config import Settings

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# What we accept from an incoming X-Request-ID (a proxy's or a client's); anything else gets a fresh id.
_WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def start_request(incoming: str | None) -> str:
    """The id of the request being served: the caller's, if well-formed, else a new one."""
    request_id = incoming if incoming and _WELL_FORMED_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    _request_id.set(request_id)
    return request_id


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (or None outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def logging_config(settings: Settings) -> dict:
    """A logging.config.dictConfig for the app and uvicorn (uvicorn applies it in every worker process)."""
    if settings.json_logs:
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{levelname}{name}{message}{request_id}",
            "style": "{",
            "rename_fields": {"levelname": "level", "name": "logger", "exc_info": "traceback"},
            "timestamp": True,
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"}
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            # The app writes one access line per request itself (auditor.access), with its request id.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "alembic.runtime.plugins": {"level": "WARNING"},  # a line per plugin at every start
        },
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))
    # What no line of ours shows is not gathered for every record (the logging HOWTO's "Optimization"): the caller's
    # file and line (a walk up the stack), the thread's and the process's names.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False

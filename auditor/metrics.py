"""Prometheus metrics: requests by route template and status class, database connections in use, and the tablets'
sync outbox replays.

With several worker processes, prometheus-client's multiprocess mode adds up every worker's figures: each worker
writes its own files in the folder named by PROMETHEUS_MULTIPROC_DIR (`auditor serve` creates and empties it), and
whichever worker answers /metrics reads them all. The variable must be set before prometheus_client is imported.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import MutableMapping
from functools import cache
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import Engine, event

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter(
    "auditor_http_requests", "HTTP requests answered, by route template and status class", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "auditor_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and status class",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# Kept up to date by the pool's own checkout and checkin events, so that with several workers the sum of the
# live processes' values is right at any moment (a callback would only report the worker that answers /metrics).
POOL_CONNECTIONS_IN_USE = Gauge(
    "auditor_db_pool_connections_in_use", "Database connections checked out of the pool", multiprocess_mode="livesum"
)

# Creates that carried a client-made id (the tablet's outbox, services/sync.py): `new` the first time, `replay` when the
# id was already stored (a change sent again after a lost reply). Many replays mean tablets often lose replies.
SYNC_REPLAYS = Counter(
    "auditor_sync_replays",
    "Creates the tablets' sync outbox sent with a client-made id, by kind of record and "
    "outcome: new (first time) or replay (the id was already stored)",
    ["entity", "outcome"],
)

_watched_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_route_templates: dict[int, str] = {}  # learn_route_templates: by the identity of a route of a module-level router
_learnt_routers: set[int] = set()


def record_request(*, method: str, route: str, status: int, seconds: float) -> None:
    count, duration = _request_series(method, route, f"{status // 100}xx")
    count.inc()
    duration.observe(seconds)


@cache
def _request_series(method: str, route: str, status_class: str) -> tuple[Any, Any]:
    """The two series of one kind of request, looked up once per process (`labels` checks and locks on every call);
    as many as there are route templates, methods and status classes."""
    return REQUESTS.labels(method, route, status_class), REQUEST_SECONDS.labels(method, route, status_class)


def record_sync(*, entity: str, replay: bool) -> None:
    SYNC_REPLAYS.labels(entity, "replay" if replay else "new").inc()


def learn_route_templates(*routers: Any) -> None:
    """Learn the whole path template of every route of these routers, included in the app as they are (no prefix of
    the app's own): route_template names a request's route by it. Each router once per process: the routers are
    module-level objects that every app made in the process includes (the tests make many), and learning a
    router builds each of its routes' dependencies (a third of a second for the API)."""
    from fastapi.routing import iter_route_contexts  # here, so that services may count without importing FastAPI

    for router in routers:
        if id(router) not in _learnt_routers:
            # A route knows only its path within its own router; the router's route contexts know the prefixes too.
            _route_templates.update(
                {
                    id(context.original_route): context.path_format
                    for context in iter_route_contexts(router.routes)
                    if context.path_format
                }
            )
            _learnt_routers.add(id(router))


def route_template(scope: MutableMapping[str, Any]) -> str:
    """The route's whole path template (`/api/v1/audits/{audit_id}`), never the raw path, so that ids make no new series.
    A route of a router not learnt (learn_route_templates) is the app's own: its path is whole."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    return _route_templates.get(id(route)) or getattr(route, "path", None) or "unmatched"


def watch_pool(engine: Engine) -> None:
    """Count the engine's connections in use (once per engine, however many apps share it)."""
    if engine in _watched_engines:
        return
    _watched_engines.add(engine)
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "checkin", _checked_in)


_COUNTED = "auditor.counted_in_use"  # in a pooled connection's info: its checkout was counted


def _checked_out(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    record.info[_COUNTED] = True
    POOL_CONNECTIONS_IN_USE.inc()


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    # A connection checked out before the engine was watched was never counted: its return must not count either.
    if record is not None and record.info.pop(_COUNTED, False):
        POOL_CONNECTIONS_IN_USE.dec()


def exposition() -> bytes:
    """Every metric in Prometheus' text format: all workers' in multiprocess mode, else this process's."""
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def worker_exiting() -> None:
    """Drop this worker's live gauges from the sums (its counters stay counted)."""
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        multiprocess.mark_process_dead(os.getpid())

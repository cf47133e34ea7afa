"""SQL statements per request of each benchmark scenario, counted in this process.

The portal is built on production.ini against the benchmark's database, as gunicorn serves it,
and every scenario's request is sent once to warm it, then once more with a listener counting
the statements that reach the driver. What the pool does on its own (no ping: see portal/db.py)
and BEGIN/COMMIT are not statements of the request's and are not counted.
"""
import json
import os
from pathlib import Path

import webtest
from sqlalchemy import event
from sqlalchemy.engine import Engine

PRODUCTION_INI = str(Path(__file__).resolve().parent.parent / "production.ini")


def count_statements(database_url, requests, secret="bench-secret-" + "x" * 32):
    """{label: statements} for ``requests``, {label: [(method, path, body or None, headers), ...]}: the
    first request of each list warms, the last is counted (a booking needs two distinct slots)."""
    from benchmarks.app import application_from_ini

    os.environ.update(PORTAL_DATABASE_URL=database_url, PORTAL_SECRET=secret, PORTAL_REDIS_URL="")
    app = webtest.TestApp(application_from_ini(PRODUCTION_INI))
    counted = []

    def count(*_args):
        counted.append(1)

    result = {}
    for label, sends in requests.items():
        for position, (method, path, body, headers) in enumerate(sends):
            counted.clear()
            if position == len(sends) - 1:
                event.listen(Engine, "before_cursor_execute", count)
            try:
                if method == "GET":
                    answer = app.get(path, headers=headers, status="*")
                else:
                    answer = app.post(path, json.dumps(body), status="*",
                                      headers=dict(headers, **{"Content-Type": "application/json"}))
            finally:
                if event.contains(Engine, "before_cursor_execute", count):
                    event.remove(Engine, "before_cursor_execute", count)
            if answer.status_int >= 400:
                raise SystemExit(f"{label}: {method} {path} answered {answer.status_int}: {answer.text[:300]}")
        result[label] = len(counted)
    return result

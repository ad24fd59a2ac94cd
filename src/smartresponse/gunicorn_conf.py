"""Gunicorn settings: `gunicorn smartresponse.wsgi -c python:smartresponse.gunicorn_conf`.

Sync workers, one per core. A sync worker accepts a connection only when it is idle, so requests
queue once, in arrival order, in the kernel's accept queue, and every client waits about as long
as every other. Threaded workers (gthread) keep connections open and pin each one to a worker,
so under load some workers queue many more requests than others and the slowest 1% wait two or
three times as long (measured on 2 cores with 20 CAD clients; see docs/benchmarks.md, where
2 sync workers met p99 <= 100 ms and no threaded setting did). A sync worker is held for the whole
of a request, so run behind a buffering reverse proxy (nginx), as gunicorn advises, and switch to
gthread if long-lived responses (server-sent events) are ever added. More workers than cores
protect the API from slow pages at some cost in API tail latency: set GUNICORN_WORKERS.
Each worker holds one database connection (CONN_MAX_AGE); every value can be overridden from
the environment.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))  # used by gthread only
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "2"))  # used by gthread only
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
backlog = 2048

# No access log by default: request lines carry query strings. Errors go to stderr.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")

"""gunicorn settings for Repère: ``gunicorn -c gunicorn.conf.py wsgi:app``.

The one place these settings are written: docs/deploy.md runs gunicorn with this file (and
says why each value), tests/test_two_servers.py starts its two servers with it, and the
benchmarks (bench/common.py) too. Each of them gives only its own address with ``--bind``,
which takes precedence over ``bind`` below; so can ``GUNICORN_BIND`` (e.g. a private address
when several servers sit behind a load balancer).

Values for a small server with 2 cores: one worker per core, 4 threads each.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# One process per core (the GIL), a few threads each to overlap database round trips.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = 4

# A worker silent for 30 s is replaced; running requests get 30 s to finish on reload.
timeout = 30
graceful_timeout = 30
keepalive = 5

# Recycle each worker now and then (slow memory growth); the jitter keeps them apart.
max_requests = 50000
max_requests_jitter = 5000

# The addresses whose X-Forwarded-Proto gunicorn believes: nginx on the same machine.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# The app writes one line per request itself (app/logs.py: no address, no personal data),
# so gunicorn's own access log, which holds the visitor's address and the full URL, is off.
accesslog = None
errorlog = "-"
loglevel = "info"

# No preload: each worker loads the app, so that `systemctl reload` (SIGHUP) picks up new code.
preload_app = False

# gunicorn ≥ 24 opens a control socket in the service user's home by default; Repère does not
# use it (systemctl reload does), and two servers on one machine would share its path.
control_socket_disable = True

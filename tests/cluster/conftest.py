"""The cluster of issue 20, started by the tests on loopback: PostgreSQL (tests/fixtures/postgres.py),
Redis, two gunicorn servers of the application and nginx in front of them, with a configuration
derived from deploy/nginx/imi.conf (plain HTTP; the upstream's servers replaced by ours).

The servers get the environment of deploy/imi.env.example with the values of this cluster put
in: one shared IMI_SECRET_KEY, the Redis storage for Flask-Limiter, PostgreSQL, the SMTP server
of the tests. Without nginx or redis-server the cluster tests are skipped, except under CI
(``CI=true``), where that is a failure.
"""

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures import in_ci
from tests.fixtures.smtp import SMTPServer, free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = "/usr/sbin/nginx"
BIN = Path(sys.executable).parent
GUNICORN = BIN / "gunicorn"
FLASK = BIN / "flask"
ARTIFACTS = ROOT / "test-artifacts" / "cluster"
ADMIN = "nimic.admin"
PASSWORD = "Correct-Horse-9"
# gunicorn per server: 2 processes of 4 threads (the unit's gthread workers, fewer of them).
WORKERS, THREADS = 2, 4


def missing(reason: str):
    if in_ci():
        pytest.fail(f"the cluster test is required under CI: {reason}")
    pytest.skip(reason)


def redis_server_path() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.path.exists(p)), None
    )


def read_env_file(path: Path) -> dict:
    """KEY=value lines of a systemd EnvironmentFile (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def wait_for_http(url: str, proc: subprocess.Popen | None = None, timeout: float = 60) -> None:
    import urllib.error
    import urllib.request

    deadline = time.time() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        if time.time() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout} s")
        time.sleep(0.2)


# --- nginx -------------------------------------------------------------------------------------

TEMP_PATHS = "client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;"


def site_location(site: str) -> str:
    """The body of ``location / { … }`` of the deploy site."""
    match = re.search(r"location / \{(.*?)\n    \}", site, re.S)
    assert match, "deploy/nginx/imi.conf has no 'location / { … }' block"
    return match.group(1)


def site_directive(site: str, name: str) -> str:
    match = re.search(rf"^\s*{name}\s+([^;]+);", site, re.M)
    assert match, f"deploy/nginx/imi.conf has no {name}"
    return match.group(1)


def upstream_parameters(site: str) -> str:
    """The parameters of the site's upstream servers (max_fails=… fail_timeout=…)."""
    match = re.search(r"^\s*server\s+\S+:\d+\s+([^;]*);", site, re.M)
    assert match, "deploy/nginx/imi.conf has no upstream server"
    return match.group(1)


def nginx_test_conf(directory: Path, port: int, upstreams: list[int]) -> str:
    """A complete nginx.conf serving the deploy site's location on plain HTTP ``port``.

    Only for the tests: X-Upstream names the server that answered, and the access log records
    the upstream of every request with its status and time."""
    site = (DEPLOY / "nginx" / "imi.conf").read_text()
    parameters = upstream_parameters(site)
    servers = "\n".join(f"        server 127.0.0.1:{p} {parameters};" for p in upstreams)
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
daemon off;
events {{ worker_connections 512; }}
http {{
    {TEMP_PATHS.format(d=directory)}
    log_format cluster '$msec $status "$upstream_addr" "$upstream_status" $request_method $uri $request_time';
    access_log {directory}/access.log cluster;
    upstream imi_app {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        client_max_body_size {site_directive(site, 'client_max_body_size')};
        server_tokens off;
        location / {{{site_location(site)}
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, directory: Path, upstreams: list[int]):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = self.dir / "nginx.conf"
        self.conf.write_text(nginx_test_conf(self.dir, self.port, upstreams))
        self.access_log = self.dir / "access.log"
        self.proc = None

    def start(self):
        check = subprocess.run(
            [NGINX, "-t", "-p", str(self.dir), "-e", str(self.dir / "error.log"), "-c", str(self.conf)],
            capture_output=True, text=True,
        )
        assert check.returncode == 0, check.stderr
        with open(self.dir / "stderr.log", "w") as stderr:
            self.proc = subprocess.Popen(
                [NGINX, "-p", str(self.dir), "-e", str(self.dir / "error.log"), "-c", str(self.conf)],
                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
            )

    def log_lines(self) -> list[dict]:
        """The access log: one dict per request (time, status, upstreams tried, method, path)."""
        entries = []
        pattern = re.compile(r'^(\S+) (\d+) "([^"]*)" "([^"]*)" (\S+) (\S+) (\S+)$')
        for line in self.access_log.read_text().splitlines():
            match = pattern.match(line)
            if match:
                t, status, upstream, upstream_status, method, path, duration = match.groups()
                entries.append({
                    "time": float(t), "status": int(status), "upstream": upstream,
                    "upstream_status": upstream_status, "method": method, "path": path,
                    "duration": float(duration),
                })
        return entries

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# --- Redis ------------------------------------------------------------------------------------


class Redis:
    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [redis_server_path(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir), "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        )
        import redis

        client = redis.Redis.from_url(self.url)
        deadline = time.time() + 20
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.1)

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


# --- gunicorn ---------------------------------------------------------------------------------


class AppServer:
    """``gunicorn wsgi:app`` on a free loopback port, killable as a whole (its own process group)."""

    def __init__(self, name: str, env: dict, directory: Path, port: int | None = None):
        self.name = name
        self.env = env
        self.dir = directory
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = f"127.0.0.1:{self.port}"
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(self.dir / f"gunicorn-{self.name}-{self.starts}.log", "w")
        self.proc = subprocess.Popen(
            [str(GUNICORN), "--bind", self.address, "--workers", str(WORKERS), "--worker-class", "gthread",
             "--threads", str(THREADS), "--access-logfile", str(self.dir / f"access-{self.name}.log"),
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        wait_for_http(self.url + "/login", self.proc)

    def kill(self):
        """SIGKILL to the master and every worker at once: the server is lost mid-request."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def flask(self, *args, **kw) -> subprocess.Popen:
        return subprocess.Popen(
            [str(FLASK), "--app", "wsgi", *args], cwd=ROOT, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw,
        )


# --- The cluster ------------------------------------------------------------------------------


class Cluster:
    def __init__(self, directory, postgres, redis, smtp, servers, nginx, database_url, env, setup):
        self.setup = setup
        self.dir = directory
        self.postgres = postgres
        self.redis = redis
        self.smtp = smtp
        self.servers = servers
        self.nginx = nginx
        self.database_url = database_url
        self.env = env

    @property
    def url(self):
        return self.nginx.url

    def server_at(self, address: str) -> AppServer:
        return next(server for server in self.servers if server.address == address)


def server_environment(database_url: str, redis_url: str, smtp: SMTPServer, base_url: str) -> dict:
    """deploy/imi.env.example with this cluster's values."""
    template = read_env_file(DEPLOY / "imi.env.example")
    settings = {
        **template,
        "IMI_SECRET_KEY": secrets.token_urlsafe(48),  # one key, shared by both servers
        "DATABASE_URL": database_url,
        "IMI_BASE_URL": base_url,
        "IMI_RATELIMIT_STORAGE_URI": redis_url,
        "IMI_MAIL_SERVER": "127.0.0.1",
        "IMI_MAIL_PORT": str(smtp.port),
        "IMI_MAIL_USE_TLS": "false",
        # Plain HTTP on loopback: the cookie cannot be Secure, and nobody here has a second factor.
        "IMI_SESSION_COOKIE_SECURE": "false",
        "IMI_SECOND_FACTOR_REQUIRED": "none",
    }
    for name in ("IMI_MAIL_USERNAME", "IMI_MAIL_PASSWORD"):  # the test's SMTP server has no login
        settings.pop(name, None)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("IMI_") and k != "DATABASE_URL"}
    return {**environment, **settings}


@pytest.fixture(scope="module")
def cluster(postgres_cluster, tmp_path_factory):
    if not os.path.exists(NGINX):
        missing(f"nginx not found at {NGINX} (apt-get install -y nginx)")
    if not redis_server_path():
        missing("redis-server not found (apt-get install -y redis-server)")
    import psycopg

    directory = tmp_path_factory.mktemp("cluster")
    with psycopg.connect(host="127.0.0.1", port=postgres_cluster.port, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS imi_cluster")
        conn.execute("CREATE DATABASE imi_cluster")
    database_url = f"postgresql://postgres@127.0.0.1:{postgres_cluster.port}/imi_cluster"

    redis = Redis(directory / "redis")
    smtp = SMTPServer()
    started = []
    try:
        redis.start()
        started.append(redis)
        smtp.start()
        started.append(smtp)
        ports = [free_port(), free_port()]
        nginx = Nginx(directory / "nginx", ports)
        env = server_environment(database_url, redis.url, smtp, nginx.url)
        # One migration run, from one server, before any server starts.
        migrate = subprocess.run([str(FLASK), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True)
        assert migrate.returncode == 0, migrate.stderr
        from tests.cluster.data import seed

        setup = seed(database_url)
        servers = [AppServer(name, env, directory, port) for name, port in zip("AB", ports)]
        for server in servers:
            server.start()
            started.append(server)
        nginx.start()
        started.append(nginx)
        wait_for_http(nginx.url + "/login", nginx.proc)
        yield Cluster(directory, postgres_cluster, redis, smtp, servers, nginx, database_url, env, setup)
    finally:
        for part in reversed(started):
            part.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for log in directory.glob("gunicorn-*.log"):
            shutil.copy(log, ARTIFACTS / log.name)
        if (directory / "nginx" / "error.log").exists():
            shutil.copy(directory / "nginx" / "error.log", ARTIFACTS / "nginx-error.log")

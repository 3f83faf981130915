"""The cluster test's mixed load on one application server and on two, behind nginx (issue 20).

    python bench/cluster.py [--seconds 60] [--users 8] [--rounds 1]

Starts what tests/cluster/ starts (a throwaway PostgreSQL cluster, Redis, gunicorn servers of
2 gthread workers × 4 threads with deploy/imi.env.example's settings, nginx from
deploy/nginx/imi.conf), then runs tests/cluster/locustfile.py headless with ``--users``
officials and no think time (each sends its next request when the last is answered), first
against an upstream of one server, then of two, ``--rounds`` times in turn. Prints requests
per second, p50 and p95 (Locust's aggregate) for each.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.cluster.conftest import AppServer, Nginx, Redis, server_environment, wait_for_http  # noqa: E402
from tests.cluster.data import seed  # noqa: E402
from tests.cluster.test_cluster import locust_totals, run_locust  # noqa: E402
from tests.fixtures.postgres import Cluster as Postgres  # noqa: E402
from tests.fixtures.smtp import SMTPServer, free_port  # noqa: E402


class Setup:
    def __init__(self, url, setup):
        self.url = url
        self.setup = setup


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="imi-bench-cluster-"))
    postgres = Postgres()
    postgres.start()
    redis = Redis(directory / "redis")
    smtp = SMTPServer()
    parts = []
    try:
        redis.start()
        smtp.start()
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=postgres.port, user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE imi_cluster")
        database_url = f"postgresql://postgres@127.0.0.1:{postgres.port}/imi_cluster"
        ports = [free_port(), free_port()]
        env = server_environment(database_url, redis.url, smtp, "http://127.0.0.1")
        subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        setup = seed(database_url)
        servers = [AppServer(name, env, directory, port) for name, port in zip("AB", ports)]
        for server in servers:
            server.start()
            parts.append(server)
        results = []
        for round_ in range(args.rounds):
            for count in (1, 2):
                nginx = Nginx(directory / f"nginx-{round_}-{count}", ports[:count])
                nginx.start()
                wait_for_http(nginx.url + "/login", nginx.proc)
                run_dir = directory / f"run-{round_}-{count}"
                run_dir.mkdir()
                load = run_locust(Setup(nginx.url, setup), run_dir, users=args.users, seconds=args.seconds, wait="0,0")
                load.wait(args.seconds + 120)
                nginx.stop()
                totals = locust_totals(run_dir)
                results.append((count, totals))
                print(f"round {round_ + 1}, {count} server(s): {totals['requests_per_second']} requests/s, "
                      f"{totals['failures']} failed of {totals['requests']}, p50 {totals['p50_ms']} ms, "
                      f"p95 {totals['p95_ms']} ms", flush=True)
                for name, (n, failed, p95) in sorted(totals["by_name"].items()):
                    print(f"    {name:20} {n:6} requests, {failed} failed, p95 {p95} ms")
                time.sleep(2)
    finally:
        for part in reversed(parts):
            part.stop()
        smtp.stop()
        redis.stop()
        postgres.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The benchmark on a throwaway PostgreSQL cluster (tests.fixtures.postgres.Cluster), stopped afterwards.

    python bench/postgres.py --size 1000:10000 --size 100000:1000000 [--duration 5] [--rounds 3]

Each ``--size AUTHORITIES:USERS`` gets its own database in the one cluster.
"""

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", action="append", required=True, help="AUTHORITIES:USERS")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--export", action="store_true", help="also run bench/export.py on each database")
    args = parser.parse_args()

    from tests.fixtures.postgres import Cluster

    cluster = Cluster()
    cluster.start()
    try:
        import psycopg

        python = sys.executable
        for size in args.size:
            authorities, users = size.split(":")
            dbname = f"bench_{authorities}"
            with psycopg.connect(host="127.0.0.1", port=cluster.port, user="postgres", dbname="postgres",
                                 autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {dbname}")
            url = cluster.url(dbname)
            print(f"# cluster on port {cluster.port}: {url}", flush=True)
            subprocess.run([python, "bench/generate.py", "--url", url, "--authorities", authorities,
                            "--users", users], cwd=ROOT, check=True)
            subprocess.run([python, "bench/run.py", "--url", url, "--duration", str(args.duration),
                            "--rounds", str(args.rounds)], cwd=ROOT, check=True)
            if args.export:
                subprocess.run([python, "bench/export.py", "--url", url], cwd=ROOT, check=True)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()

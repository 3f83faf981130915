"""CPU time per request in-process (Flask test client), for before/after comparisons that a
busy machine cannot blur: process time, not wall time, medians of batches.

    python bench/inprocess.py --url sqlite:////tmp/new.sqlite3 [--checkout DIR --checkout-url URL] \\
        [--path /bench/empty] [--htmx] [-n 500] [--batches 7]

Each checkout runs in a process of its own (``PYTHONPATH`` and working directory set to it),
with ``bench/empty_app.py``; the checkouts take turns, batch by batch.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORKER = r"""
import json, os, re, sys, time
sys.path.insert(0, os.getcwd())
os.environ.update(IMI_SESSION_COOKIE_SECURE="false", IMI_MAIL_DELIVERY_THREAD="false", IMI_SECRET_KEY="bench")
from bench.empty_app import app
paths, htmx, n = json.loads(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3])
client = app.test_client()
client.environ_base["HTTP_USER_AGENT"] = "imi-bench/1"
page = client.get("/login").get_data(as_text=True)
token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
r = client.post("/login", data={"csrf_token": token, "username": "bench.admin", "password": "Bench-Parole-1"})
assert r.status_code == 303, r.status_code
headers = {"HX-Request": "true"} if htmx else {}
for path in paths:
    assert client.get(path, headers=headers).status_code == 200, path
for line in sys.stdin:
    out = {}
    for path in paths:
        start = time.process_time()
        for _ in range(n):
            client.get(path, headers=headers)
        out[path] = (time.process_time() - start) / n * 1000
    print(json.dumps(out), flush=True)
"""


def start(checkout, url, paths, htmx, n):
    if os.path.realpath(checkout) != os.path.realpath(ROOT):
        shutil.copy(os.path.join(ROOT, "bench", "empty_app.py"), os.path.join(checkout, "bench", "empty_app.py"))
    env = {**os.environ, "PYTHONPATH": checkout, "IMI_SQLALCHEMY_DATABASE_URI": url}
    return subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(paths), "1" if htmx else "0", str(n)],
                            cwd=checkout, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--checkout")
    parser.add_argument("--checkout-url")
    parser.add_argument("--path", action="append")
    parser.add_argument("--htmx", action="store_true")
    parser.add_argument("-n", type=int, default=500, help="requests per path and batch")
    parser.add_argument("--batches", type=int, default=7)
    args = parser.parse_args(argv)
    paths = args.path or ["/bench/empty"]
    targets = [("this checkout", ROOT, args.url)]
    if args.checkout:
        targets.insert(0, (args.checkout, args.checkout, args.checkout_url))
    procs = [(name, start(checkout, url, paths, args.htmx, args.n)) for name, checkout, url in targets]
    results = {name: {path: [] for path in paths} for name, _ in procs}
    try:
        for _batch in range(args.batches):
            for name, proc in procs:
                proc.stdin.write("go\n")
                proc.stdin.flush()
                for path, ms in json.loads(proc.stdout.readline()).items():
                    results[name][path].append(ms)
    finally:
        for _name, proc in procs:
            proc.stdin.close()
            proc.wait(30)
    print(f"CPU ms per request in-process, median of {args.batches} batches of {args.n}" + (", htmx" if args.htmx else ""))
    print("| path | " + " | ".join(name for name, _ in procs) + " |")
    print("|---|" + "---|" * len(procs))
    for path in paths:
        print(f"| `{path}` | " + " | ".join(f"{statistics.median(results[name][path]):.3f}" for name, _ in procs) + " |")


if __name__ == "__main__":
    main()

"""CPU time per request in-process (Flask test client), for before/after comparisons that a
busy machine cannot blur: process time, not wall time, medians of batches.

    python bench/inprocess.py --url sqlite:////tmp/new.sqlite3 [--checkout DIR --checkout-url URL] \\
        [--path /bench/empty] [--htmx] [-n 500] [--batches 7] [--floor]

``BENCH_WITHOUT_TEMPLATES=1`` is a what-if: once the pages have been checked, Flask's
``render_template`` returns an empty string, so the figures are the app's cost without Jinja
(the bound a hand-written HTML of zero cost would reach).

Each checkout runs in a process of its own (``PYTHONPATH`` and working directory set to it),
with ``bench/empty_app.py``; the checkouts take turns, batch by batch. ``--floor`` also times
this checkout's page floor (``bench.floor.flask_app`` with the login's cookie) on each path, in the
same process and in turn with the app, and prints the ratio app / floor.
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
paths, htmx, n, floor = json.loads(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3]), sys.argv[4] == "1"
client = app.test_client()
client.environ_base["HTTP_USER_AGENT"] = "imi-bench/1"
page = client.get("/login").get_data(as_text=True)
token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
r = client.post("/login", data={"csrf_token": token, "username": "bench.admin", "password": "Bench-Parole-1"})
assert r.status_code == 303, r.status_code
headers = {"HX-Request": "true"} if htmx else {}
for path in paths:
    assert client.get(path, headers=headers).status_code == 200, path
if floor:
    from bench.run import pick
    ids = pick(os.environ["IMI_SQLALCHEMY_DATABASE_URI"])
    os.environ.update(BENCH_DB_URL=os.environ["IMI_SQLALCHEMY_DATABASE_URI"], BENCH_SECRET_KEY="bench", BENCH_FLOOR="page",
                      BENCH_COUNTRY_ID=str(ids["country_id"]), BENCH_MANAGER_ID=str(ids["manager_id"]),
                      BENCH_USER_ID=str(ids["user_id"]))
    from bench.floor import flask_app as floor_app
    floor_client = floor_app.test_client()  # the floor served by Flask, as under wrk
    floor_client.set_cookie("imi_session", client.get_cookie("imi_session").value)
    for path in paths:
        assert floor_client.get(path, headers=headers).status_code == 200, path
if os.environ.get("BENCH_WITHOUT_TEMPLATES"):  # what-if: every template rendered for free (after the checks above)
    import flask.templating
    flask.templating._render = lambda app, template, context: ""
for line in sys.stdin:
    out = {}
    for path in paths:
        start = time.process_time()
        for _ in range(n):
            client.get(path, headers=headers)
        out[path] = (time.process_time() - start) / n * 1000
        if floor:
            start = time.process_time()
            for _ in range(n):
                floor_client.get(path, headers=headers)
            out["floor " + path] = (time.process_time() - start) / n * 1000
    print(json.dumps(out), flush=True)
"""


def start(checkout, url, paths, htmx, n, floor=False):
    if os.path.realpath(checkout) != os.path.realpath(ROOT):
        shutil.copy(os.path.join(ROOT, "bench", "empty_app.py"), os.path.join(checkout, "bench", "empty_app.py"))
    env = {**os.environ, "PYTHONPATH": checkout, "IMI_SQLALCHEMY_DATABASE_URI": url}
    return subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(paths), "1" if htmx else "0", str(n), "1" if floor else "0"],
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
    parser.add_argument("--floor", action="store_true", help="also time the page floor (this checkout)")
    args = parser.parse_args(argv)
    paths = args.path or ["/bench/empty"]
    targets = [("this checkout", ROOT, args.url)]
    if args.checkout:
        targets.insert(0, (args.checkout, args.checkout, args.checkout_url))
    procs = [(name, start(checkout, url, paths, args.htmx, args.n, args.floor and checkout == ROOT))
             for name, checkout, url in targets]
    results = {name: {} for name, _ in procs}
    try:
        for _batch in range(args.batches):
            for name, proc in procs:
                proc.stdin.write("go\n")
                proc.stdin.flush()
                for path, ms in json.loads(proc.stdout.readline()).items():
                    results[name].setdefault(path, []).append(ms)
    finally:
        for _name, proc in procs:
            proc.stdin.close()
            proc.wait(30)
    print(f"CPU ms per request in-process, median of {args.batches} batches of {args.n}" + (", htmx" if args.htmx else ""))
    print("| path | " + " | ".join(name for name, _ in procs) + " |")
    print("|---|" + "---|" * len(procs))
    for path in paths:
        print(f"| `{path}` | " + " | ".join(f"{statistics.median(results[name][path]):.3f}" for name, _ in procs) + " |")
    if args.floor:
        mine = results["this checkout"]
        print()
        print("| path | app | page floor | app / floor |")
        print("|---|---|---|---|")
        for path in paths:
            app_ms, floor_ms = statistics.median(mine[path]), statistics.median(mine["floor " + path])
            print(f"| `{path}` | {app_ms:.3f} | {floor_ms:.3f} | {app_ms / floor_ms:.2f}× |")


if __name__ == "__main__":
    main()

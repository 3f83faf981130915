"""The CSV exports at scale (issue 19): rows per second, time to the first bytes and the peak
memory of the process, each export in a fresh process (in-process, Flask test client, the
response read as it streams).

    python bench/export.py --url sqlite:////tmp/100k.sqlite3 [--path "/access-overview/export.csv?mine=no"]

Default paths: the access overview and "Managed authorities", every active authority of the
country (``mine=no``), and a small export (a name term) for the baseline memory. ``rss
before`` is the process after the login and a first small request; ``peak`` is its
``ru_maxrss`` after the export: their difference is what streaming the export cost.
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATHS = [
    "/access-overview/export.csv?mine=no&q=zzzq",
    "/access-overview/export.csv?mine=no",
    "/authorities/export.csv?mine=no",
    f"/access-overview/export.csv?mine=no&module=MODULE",
]

WORKER = r"""
import json, os, re, resource, sys, time
sys.path.insert(0, os.getcwd())
os.environ.update(IMI_SESSION_COOKIE_SECURE="false", IMI_MAIL_DELIVERY_THREAD="false", IMI_SECRET_KEY="bench")
from imi_web import create_app
app = create_app()
client = app.test_client()
client.environ_base["HTTP_USER_AGENT"] = "imi-bench/1"
page = client.get("/login").get_data(as_text=True)
token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
r = client.post("/login", data={"csrf_token": token, "username": "bench.admin", "password": "Bench-Parole-1"})
assert r.status_code == 303, r.status_code
assert client.get("/access-overview/?mine=no&q=zzzq").status_code == 200
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
path = sys.argv[1]
start = time.perf_counter()
response = client.get(path, buffered=False)
assert response.status_code == 200, response.status_code
first = None
size = lines = 0
for chunk in response.response:
    if first is None:
        first = time.perf_counter() - start
    size += len(chunk)
    lines += chunk.count(b"\n")
response.close()
seconds = time.perf_counter() - start
print(json.dumps({"path": path, "rows": lines - 1, "bytes": size, "seconds": seconds, "first_bytes_ms": first * 1000,
                  "rss_before_mb": rss_before / 1024, "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--path", action="append")
    args = parser.parse_args(argv)
    import sqlalchemy as sa

    engine = sa.create_engine(args.url)
    with engine.connect() as conn:
        module = conn.execute(sa.text("SELECT id FROM module ORDER BY code")).scalars().all()
        pq = conn.execute(sa.text("SELECT id FROM module WHERE code LIKE '%PQ%'")).scalar() or module[0]
    engine.dispose()
    env = {**os.environ, "PYTHONPATH": ROOT, "IMI_SQLALCHEMY_DATABASE_URI": args.url}
    print("| export | rows | MB | s | rows/s | first bytes ms | RSS before → peak MB |")
    print("|---|---|---|---|---|---|---|")
    for path in args.path or PATHS:
        path = path.replace("MODULE", str(pq))
        out = subprocess.run([sys.executable, "-c", WORKER, path], cwd=ROOT, env=env, check=True,
                             capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"| `{r['path']}` | {r['rows']} | {r['bytes'] / 1e6:.1f} | {r['seconds']:.1f} | "
              f"{r['rows'] / r['seconds']:.0f} | {r['first_bytes_ms']:.0f} | {r['rss_before_mb']:.0f} → {r['rss_peak_mb']:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()

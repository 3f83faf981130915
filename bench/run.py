"""Measure the search pages against a floor (issue 5, item 6).

    python bench/run.py --url sqlite:////tmp/bench-100k.sqlite3 [--duration 5] [--rounds 3]

Serves the app (``wsgi:app``) and two floors (``bench/floor.py``: the same SQL statements, raw
driver, string-built HTML, served by Flask) — the **page floor** (the yardstick of the
targets: it also verifies the session cookie, looks the sign-in session up, loads the user and
its authority by primary key and renders the layout on full pages) and the **data floor**
(the page's statements only, for reference) — with gunicorn ``-w 2 -k sync`` on free ports of
127.0.0.1, logs in as ``bench.admin`` and runs ``wrk -t2 -c8 -d<duration>s --latency`` on each
case: app, page floor, data floor, one after the other, ``--rounds`` times (3), so that a
change in the machine's load in the meantime touches all three alike. p50, p95 and p99 come from wrk's own
histogram (``bench/percentiles.lua``); each reported figure is the median of its rounds.
The database must have been made by bench/generate.py.
"""

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")  # the running virtualenv's


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: str, port: int, env: dict, cwd: str = ROOT) -> subprocess.Popen:
    proc = subprocess.Popen(
        [GUNICORN, "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn {target} exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"gunicorn {target} did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


# The login's User-Agent goes with every request, as a browser's does: the session remembers
# the browser it was made for (Flask-Login's session protection) and marks itself "not fresh"
# when another one uses it — which, with wrk sending the login's cookie each time, would
# re-sign the cookie on every request.
USER_AGENT = "imi-bench/1"


def login(base: str) -> str:
    """Log in as bench.admin; return the value of the imi_session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(base + "/login", timeout=30).read().decode()
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', page
    )
    data = urllib.parse.urlencode(
        {"csrf_token": match.group(1), "username": "bench.admin", "password": "Bench-Parole-1", "next": ""}
    ).encode()
    opener.open(urllib.request.Request(base + "/login", data=data, headers={"Referer": base + "/login"}), timeout=30)
    for cookie in jar:
        if cookie.name == "imi_session":
            return cookie.value
    raise SystemExit("login failed: no imi_session cookie")


def check(url: str, headers: dict) -> tuple[int, str]:
    """One request before the load: a 200 of the page itself (not a redirect to /login), which
    does not re-issue the session cookie (each request of the load sends the same one);
    returns the status and the body."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **kw):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(urllib.request.Request(url, headers=headers), timeout=60)
        if "imi_session=" in (response.headers.get("Set-Cookie") or ""):
            raise SystemExit(f"{url} re-issues the session cookie: the load would measure that")
        return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


ROW_LINK = re.compile(r'href="/authorities/(\d+)/authority"|href="/directory/(\d+)[?"]')


def listed_ids(body: str) -> list[str]:
    """The authorities a search page lists, in order (app and floor link them alike; the
    menu's "My authority" is not one of them)."""
    main = body.find("<main")
    return [a or b for a, b in ROW_LINK.findall(body[main:] if main >= 0 else body)]


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, headers: dict, duration: int) -> dict:
    cmd = ["wrk", "-t2", "-c8", f"-d{duration}s", "--latency", "-s", os.path.join(ROOT, "bench", "percentiles.lua")]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=duration + 60).stdout
    result = {"raw": out}
    for pct in ("50", "90", "95", "99"):
        m = re.search(rf"^P{pct} (\d+)$", out, re.M)
        result[f"p{pct}"] = int(m.group(1)) / 1000 if m else float("nan")
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    result["rps"] = float(m.group(1)) if m else float("nan")
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"(\d+) requests in", out)
    result["requests"] = int(m.group(1)) if m else 0
    return result


def median_of(runs: list[dict]) -> dict:
    """Each figure of ``runs`` (wrk results of one target) as the median over the runs."""
    return {key: statistics.median(run[key] for run in runs) for key in ("p50", "p90", "p95", "p99", "rps", "requests")}


def pick(url: str) -> dict:
    """Ids the cases need: the admin's country/authority, a module, an LV authority with modules."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as c:
        country_id, manager_id, user_id = c.execute(sa.text(
            "SELECT a.country_id, a.id, u.id FROM user_account u JOIN authority a ON a.id = u.authority_id "
            "WHERE u.username = 'bench.admin'")).one()
        module_id = c.execute(sa.text("SELECT id FROM module WHERE code = 'PQ'")).scalar_one()
        tab_id = c.execute(sa.text(
            "SELECT a.id FROM authority a WHERE a.country_id = :c AND a.status = 'active' AND NOT a.is_nimic "
            "AND (SELECT count(*) FROM module_access m WHERE m.authority_id = a.id) >= 2 ORDER BY a.id LIMIT 1"),
            {"c": country_id}).scalar_one()
        authorities = c.execute(sa.text("SELECT count(*) FROM authority")).scalar_one()
        users = c.execute(sa.text("SELECT count(*) FROM user_account")).scalar_one()
    engine.dispose()
    return dict(country_id=country_id, manager_id=manager_id, user_id=user_id, module_id=module_id, tab_id=tab_id,
                authorities=authorities, users=users)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--duration", type=int, default=5, help="seconds of each wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each case and target, interleaved (default 3)")
    args = parser.parse_args(argv)

    ids = pick(args.url)
    print(f"# {args.url}: {ids['authorities']} authorities, {ids['users']} users", flush=True)
    htmx = {"HX-Request": "true"}
    cases = [
        ("no term, full page", "/authorities/?mine=no", {}),
        ("no term, fragment", "/authorities/?mine=no", htmx),
        ("prefix 'rig', fragment", "/authorities/?mine=no&q=rig", htmx),
        ("infix 'valde', fragment", "/authorities/?mine=no&q=valde", htmx),
        ("mine + 'pils', fragment", "/authorities/?q=pils", htmx),
        ("module PQ, fragment", f"/authorities/?mine=no&module={ids['module_id']}", htmx),
        ("modules tab, fragment", f"/authorities/{ids['tab_id']}/modules", htmx),
        ("directory, no term, fragment", "/directory/", htmx),
        ("directory 'valde', fragment", "/directory/?q=valde", htmx),
        ("directory PQ coordinators, fragment", f"/directory/?module={ids['module_id']}&role=coordinator", htmx),
        ("access overview, no filter, fragment", "/access-overview/?mine=no", htmx),
        ("access overview, module PQ, fragment", f"/access-overview/?mine=no&module={ids['module_id']}", htmx),
    ]
    if os.environ.get("BENCH_CASES"):  # e.g. BENCH_CASES="access overview": only the cases naming it
        cases = [case for case in cases if os.environ["BENCH_CASES"] in case[0]]

    app_port, floor_port, data_port = free_port(), free_port(), free_port()
    app_env = {
        "IMI_SQLALCHEMY_DATABASE_URI": args.url, "IMI_SECRET_KEY": "bench",
        "IMI_SESSION_COOKIE_SECURE": "false", "IMI_MAIL_DELIVERY_THREAD": "false",
    }
    floor_env = {"BENCH_DB_URL": args.url, "BENCH_COUNTRY_ID": str(ids["country_id"]),
                 "BENCH_MANAGER_ID": str(ids["manager_id"]), "BENCH_USER_ID": str(ids["user_id"]),
                 "BENCH_SECRET_KEY": app_env["IMI_SECRET_KEY"]}
    procs = [serve("wsgi:app", app_port, app_env), serve("bench.floor:flask_app", floor_port, {**floor_env, "BENCH_FLOOR": "page"}),
             serve("bench.floor:flask_app", data_port, {**floor_env, "BENCH_FLOOR": "data"})]
    rows = []
    try:
        bases = [f"http://127.0.0.1:{port}" for port in (app_port, floor_port, data_port)]
        cookie = {"Cookie": f"imi_session={login(bases[0])}", "User-Agent": USER_AGENT}
        for name, path, headers in cases:
            sizes, targets = [], []
            for i, base in enumerate(bases):
                h = {**cookie, **headers} if i < 2 else {"User-Agent": USER_AGENT, **headers}  # the data floor: no session
                status, body = check(base + path, h)
                if status != 200:
                    raise SystemExit(f"{name}: {base} answered {status} (expected 200)")
                if i and "/modules" not in path and listed_ids(body) != listed_ids(first):
                    raise SystemExit(f"{name}: the floor lists other authorities than the app: {base + path}")
                if i == 0:
                    first = body
                    if "/modules" not in path and not listed_ids(body):
                        raise SystemExit(f"{name}: the app lists no authority at {path}")
                sizes.append(len(body.encode()))
                targets.append((base + path, h))
            runs = [[], [], []]
            for _round in range(args.rounds):
                for i, (url, h) in enumerate(targets):
                    r = wrk(url, h, args.duration)
                    if r["non2xx"]:
                        print(r["raw"], file=sys.stderr)
                        raise SystemExit(f"{name}: {r['non2xx']} non-2xx responses")
                    runs[i].append(r)
            results = [median_of(target_runs) for target_runs in runs]
            rows.append((name, path, results, sizes))
            a, f, w = results
            print(f"  {name}: app p50 {a['p50']:.2f} ms ({a['requests']:.0f} req, {sizes[0]} B), page floor p50 "
                  f"{f['p50']:.2f} ms ({sizes[1]} B), data floor p50 {w['p50']:.2f} ms; p95 ratios "
                  f"{a['p95'] / f['p95']:.2f}× / {a['p95'] / w['p95']:.2f}×", flush=True)
    finally:
        for proc in procs:
            stop(proc)

    print()
    print(f"wrk -t2 -c8 -d{args.duration}s, {args.rounds} rounds interleaved, medians; gunicorn -w 2 -k sync; "
          "latencies in ms; page floor = session, user, authority, layout and the page's SQL, string-built HTML, "
          "served by Flask; data floor = the page's SQL only")
    print()
    print("| case | app p50 / p95 | page floor p50 / p95 | ratio p95 | data floor p50 / p95 | ratio p95 to data floor | app / page / data req/s | app / page floor B |")
    print("|---|---|---|---|---|---|---|---|")
    for name, path, (a, f, w), sizes in rows:
        print(f"| {name} | {a['p50']:.1f} / {a['p95']:.1f} | {f['p50']:.1f} / {f['p95']:.1f} | {a['p95'] / f['p95']:.1f}× | "
              f"{w['p50']:.1f} / {w['p95']:.1f} | {a['p95'] / w['p95']:.1f}× | {a['rps']:.0f} / {f['rps']:.0f} / {w['rps']:.0f} | "
              f"{sizes[0]} / {sizes[1]} |")


if __name__ == "__main__":
    main()

"""Two checkouts of the application under the same load: before and after a change.

    python bench/compare.py --url sqlite:////tmp/new.sqlite3 \
        --checkout /tmp/old-checkout --checkout-url sqlite:////tmp/old.sqlite3 \
        [--path /bench/empty] [--path "/authorities/?mine=no" --htmx] [--rounds 5]

Serves ``bench/empty_app.py`` (the app with ``/bench/empty``, an authenticated view that only
answers "ok"; copied into the other checkout) with gunicorn ``-w 2 -k sync``, logs in as
``bench.admin`` and runs ``wrk -t2 -c8`` on each path, the checkouts in turn, ``--rounds``
times; prints the medians. Each checkout needs a database made by its own
``bench/generate.py`` (its own migrations).
"""

import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import ROOT, USER_AGENT, check, free_port, login, median_of, serve, stop, wrk  # noqa: E402


def serve_checkout(checkout: str, url: str, port: int):
    if os.path.realpath(checkout) != os.path.realpath(ROOT):
        shutil.copy(os.path.join(ROOT, "bench", "empty_app.py"), os.path.join(checkout, "bench", "empty_app.py"))
    env = {"PYTHONPATH": checkout, "IMI_SQLALCHEMY_DATABASE_URI": url, "IMI_SECRET_KEY": "bench",
           "IMI_SESSION_COOKIE_SECURE": "false", "IMI_MAIL_DELIVERY_THREAD": "false"}
    return serve("bench.empty_app:app", port, env, cwd=checkout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="database of this checkout")
    parser.add_argument("--checkout", help="another checkout to compare with")
    parser.add_argument("--checkout-url", help="its database")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--path", action="append", help="paths to measure (default /bench/empty)")
    parser.add_argument("--htmx", action="store_true", help="send HX-Request: true (fragments)")
    args = parser.parse_args(argv)

    targets = [("this checkout", ROOT, args.url)]
    if args.checkout:
        targets.insert(0, (args.checkout, args.checkout, args.checkout_url))
    served = []
    try:
        for name, checkout, url in targets:
            port = free_port()
            served.append((name, serve_checkout(checkout, url, port), f"http://127.0.0.1:{port}"))
        plans = []
        for path in args.path or ["/bench/empty"]:
            for name, _proc, base in served:
                headers = {"Cookie": f"imi_session={login(base)}", "User-Agent": USER_AGENT}
                if args.htmx:
                    headers["HX-Request"] = "true"
                status, _body = check(base + path, headers)
                if status != 200:
                    raise SystemExit(f"{name}: {path} answered {status}")
                plans.append((name, path, base + path, headers, []))
        for _round in range(args.rounds):
            for _name, _path, url, headers, runs in plans:
                result = wrk(url, headers, args.duration)
                if result["non2xx"]:
                    raise SystemExit(f"{url}: {result['non2xx']} non-2xx responses")
                runs.append(result)
    finally:
        for _name, proc, _base in served:
            stop(proc)
    print(f"wrk -t2 -c8 -d{args.duration}s, {args.rounds} rounds interleaved, medians; gunicorn -w 2 -k sync"
          + ("; htmx fragments" if args.htmx else ""))
    print("| path | checkout | p50 ms | p95 ms | p99 ms | req/s |")
    print("|---|---|---|---|---|---|")
    for name, path, _url, _headers, runs in plans:
        m = median_of(runs)
        print(f"| `{path}` | {name} | {m['p50']:.2f} | {m['p95']:.2f} | {m['p99']:.2f} | {m['rps']:.0f} |")


if __name__ == "__main__":
    main()

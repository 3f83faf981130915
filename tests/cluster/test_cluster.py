"""Several servers, one database (issue 20): nginx in front of two gunicorn servers of the
application, PostgreSQL and Redis, all started here on loopback (see conftest.py).

- ``nginx -t`` accepts deploy/nginx/imi.conf as it is (with a self-signed certificate);
- a browser journey through nginx lands on both servers, and a session crosses them: made on
  one, valid on the other, ended on one, ended on the other;
- failed logins alternated between the servers hit the login limit at the same count as on one;
- under a mixed Locust load one server is killed (SIGKILL) and started again: every change
  acknowledged to a client is in the database, no mail is sent twice, run-jobs started on both
  servers at once runs each job once, and the errors are requests that were in flight on the
  killed server. The figures go to the output and to test-artifacts/cluster/.
"""

import os
import re
import subprocess
import time

import pytest
import requests

from .conftest import BIN, DEPLOY, NGINX, TEMP_PATHS, missing

LOCUST = BIN / "locust"
LOCUSTFILE = os.path.join(os.path.dirname(__file__), "locustfile.py")

pytestmark = pytest.mark.cluster


def test_deploy_site_passes_nginx_t(tmp_path):
    """The site file of deploy/ as it is, with only the certificate paths pointed at a
    self-signed pair, inside a minimal nginx.conf: ``nginx -t`` (no root needed)."""
    if not os.path.exists(NGINX):
        missing(f"nginx not found at {NGINX} (apt-get install -y nginx)")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=imi.example.lv",
         "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True,
    )
    site = (DEPLOY / "nginx" / "imi.conf").read_text()
    assert "/etc/ssl/imi/fullchain.pem" in site and "/etc/ssl/imi/privkey.pem" in site
    site = site.replace("/etc/ssl/imi/", f"{tmp_path}/")
    (tmp_path / "imi.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n    {TEMP_PATHS.format(d=tmp_path)}\n"
        f"    access_log {tmp_path}/access.log;\n    include {tmp_path}/imi.conf;\n}}\n"
    )
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # What the site promises: retries of idempotent requests only, and the app's body limit.
    assert re.search(r"proxy_next_upstream error timeout http_502", site)
    assert "non_idempotent" not in re.sub(r"#.*", "", site)
    assert "client_max_body_size 1m;" in site
    from imi_web.config import Defaults

    assert Defaults.MAX_CONTENT_LENGTH == 1024 * 1024


def test_cluster_starts(cluster):
    seen = set()
    for _ in range(6):
        response = requests.get(cluster.url + "/login", timeout=10)
        assert response.status_code == 200
        seen.add(response.headers["X-Upstream"])
    assert seen == {server.address for server in cluster.servers}


# --- Helpers ----------------------------------------------------------------------------------


def wait_for_mail(smtp, recipient: str, timeout: float = 30) -> dict:
    """The first mail to ``recipient`` (the servers' delivery threads send it after commit)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for message in list(smtp.messages):
            if recipient in message["to"]:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no mail to {recipient} within {timeout} s")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def logged_in_as(session: requests.Session, url: str, name: str) -> bool:
    """Whether ``session``'s cookie is a live sign-in session on the server at ``url``."""
    response = session.get(url + "/", timeout=10, allow_redirects=False)
    if response.status_code in (302, 303) and "/login" in response.headers["Location"]:
        return False
    assert response.status_code == 200, response.status_code
    assert name in response.text
    return True


def upstreams_between(cluster, start: float, end: float) -> dict[str, int]:
    """Requests per upstream server in nginx's access log between two moments."""
    counts = {}
    for entry in cluster.nginx.log_lines():
        if start <= entry["time"] <= end:
            for address in entry["upstream"].split(", "):
                counts[address] = counts.get(address, 0) + 1
    return counts


# --- The browser journey ------------------------------------------------------------------------


@pytest.mark.browser
def test_browser_journey_across_both_servers(cluster, page, browser_context):
    from playwright.sync_api import expect

    started = time.time()
    smtp = cluster.smtp
    page.goto(cluster.url + "/login")
    page.get_by_label("Username").fill("nimic.admin")
    page.get_by_label("Password").fill(cluster.setup["password"])
    page.get_by_role("button", name="Log in").click()

    # Register an authority with its first user.
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Register authority").click()
    page.fill("#official_name", "Latvijas Nacionālā bibliotēka")
    page.fill("#informal_name", "Bibliotēka")
    page.fill("#phone", "+371 64112345")
    page.fill("#email", "info@cesis.lv.example")
    page.fill("#street_address", "Raunas iela 4")
    page.fill("#postal_code", "LV-4101")
    page.fill("#city", "Cēsis")
    page.fill("#first_name", "Ilze")
    page.fill("#surname", "Bērziņa")
    page.fill("#user_email", "ilze.berzina@cesis.lv.example")
    page.select_option("#user_language", "en")
    page.get_by_role("button", name="Register authority").click()
    expect(page.locator(".flash-username")).to_contain_text("never sent by e-mail")
    expect(page).to_have_url(re.compile(r"/authorities/\d+/modules$"))
    authority_id = int(re.search(r"/authorities/(\d+)/", page.url).group(1))

    # Grant a module.
    page.get_by_role("link", name="SVC — Services").click()
    page.get_by_role("radio", name="authority").check()
    page.get_by_role("button", name="Grant access").click()
    expect(page.locator(".module-row", has_text="SVC — Services")).to_contain_text("authority")

    # Register a user with a right in that module.
    page.goto(f"{cluster.url}/authorities/{authority_id}/users")
    page.get_by_role("link", name="Register user").click()
    page.fill("#first_name", "Mārtiņš")
    page.fill("#surname", "Liepiņš")
    page.fill("#email", "martins.liepins@cesis.lv.example")
    page.select_option("#language", "en")
    page.get_by_label("Right SEND").check()
    page.get_by_role("button", name="Register user").click()
    notice = page.locator(".flash-username")
    expect(notice).to_contain_text("never sent by e-mail")
    username = re.search(r"The username is (\S+)\. ", notice.inner_text()).group(1)
    mail = wait_for_mail(smtp, "martins.liepins@cesis.lv.example")
    password = mail["body"].split("Your temporary password: ")[1].split()[0]

    # The new user logs in (another browser profile) and sets a password.
    other = browser_context.browser.new_context(locale="en-GB")
    try:
        own = other.new_page()
        own.goto(cluster.url + "/login")
        own.get_by_label("Username").fill(username)
        own.get_by_label("Password").fill(password)
        own.get_by_role("button", name="Log in").click()
        expect(own).to_have_url(re.compile(r"/account/password$"))
        own.get_by_label("Current password").fill(password)
        own.get_by_label("New password", exact=True).fill("Cēsis-Pils-2026")
        own.get_by_label("Repeat the new password").fill("Cēsis-Pils-2026")
        own.get_by_role("button", name="Change password").click()
        expect(own.get_by_role("heading", level=1)).to_contain_text("Mārtiņš")
        journey_end = time.time()

        # The journey's requests landed on both servers (nginx's log names the upstream).
        served = upstreams_between(cluster, started, journey_end + 1)
        print(f"\nbrowser journey: requests per server {served}")
        assert set(served) == {server.address for server in cluster.servers}, served
        assert min(served.values()) >= 5, served

        # The user's session, replayed straight against each server: valid on both.
        cookie = next(c for c in other.cookies() if c["name"] == "imi_session")
        user_agent = own.evaluate("navigator.userAgent")
        replay = requests.Session()
        replay.headers["User-Agent"] = user_agent
        replay.cookies.set(cookie["name"], cookie["value"], domain="127.0.0.1")
        first, second = cluster.servers
        assert logged_in_as(replay, first.url, "Mārtiņš")
        assert logged_in_as(replay, second.url, "Mārtiņš")

        # Logging out on the first server ends the session on the second, and through nginx.
        token = csrf_token(replay.get(first.url + "/", timeout=10).text)
        logout = replay.post(first.url + "/logout", data={"csrf_token": token}, timeout=10, allow_redirects=False)
        assert logout.status_code == 303
        stale = requests.Session()
        stale.headers["User-Agent"] = user_agent
        stale.cookies.set(cookie["name"], cookie["value"], domain="127.0.0.1")
        assert not logged_in_as(stale, second.url, "Mārtiņš")
        assert not logged_in_as(stale, first.url, "Mārtiņš")
        own.goto(cluster.url + "/")
        expect(own).to_have_url(re.compile(r"/login"))
    finally:
        other.close()


def test_login_limit_counts_across_servers(cluster):
    """Failed logins alternated between the two servers hit the per-address limit at the
    count one server allows (LOGIN_LIMIT_PER_ADDRESS, 10 per minute): the counter is Redis."""
    cluster.redis.client().flushdb()
    # The sliding-window counter counts a burst that straddles the edge of a minute as fewer
    # hits than it is: start the 11 attempts (a few seconds) well inside one minute.
    if time.time() % 60 > 40:
        time.sleep(61 - time.time() % 60)
    try:
        browser = requests.Session()
        statuses = []
        for attempt in range(11):
            server = cluster.servers[attempt % 2]
            token = csrf_token(browser.get(server.url + "/login", timeout=10).text)
            response = browser.post(
                server.url + "/login",
                data={"csrf_token": token, "username": f"nobody{attempt}", "password": "Wrong-Password-1"},
                timeout=10,
            )
            statuses.append(response.status_code)
        assert statuses == [422] * 10 + [429], statuses
        # The other server refuses this address as well.
        token = csrf_token(browser.get(cluster.servers[0].url + "/login", timeout=10).text)
        response = browser.post(
            cluster.servers[0].url + "/login",
            data={"csrf_token": token, "username": "nobody-else", "password": "Wrong-Password-1"},
            timeout=10,
        )
        assert response.status_code == 429
    finally:
        cluster.redis.client().flushdb()


# --- The load phase, with a server lost ---------------------------------------------------------

LOAD_USERS = 8
LOAD_SECONDS = 60
KILL_AFTER = 20  # seconds into the load
DOWN_FOR = 5  # seconds before the killed server is started again


def run_locust(cluster, directory, users=LOAD_USERS, seconds=LOAD_SECONDS, wait="0.1,0.5") -> subprocess.Popen:
    import json

    (directory / "records").mkdir(parents=True, exist_ok=True)
    (directory / "setup.json").write_text(json.dumps(cluster.setup))
    env = {
        **os.environ,
        "CLUSTER_SETUP": str(directory / "setup.json"),
        "CLUSTER_RECORD_DIR": str(directory / "records"),
        "CLUSTER_WAIT": wait,
    }
    out = open(directory / "locust.log", "w")
    try:
        return subprocess.Popen(
            [str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "-u", str(users), "-r", str(users),
             "-t", f"{seconds}s", "--host", cluster.url, "--csv", str(directory / "load"), "--only-summary",
             "--exit-code-on-error", "0"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    finally:
        out.close()


def locust_totals(directory) -> dict:
    import csv

    with open(directory / "load_stats.csv") as fh:
        rows = list(csv.DictReader(fh))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "requests_per_second": round(float(total["Requests/s"]), 1),
        "p50_ms": int(float(total["50%"])),
        "p95_ms": int(float(total["95%"])),
        "by_name": {row["Name"]: (int(row["Request Count"]), int(row["Failure Count"]), int(float(row["95%"]))) for row in rows if row["Name"] != "Aggregated"},
    }


def read_records(directory) -> list[dict]:
    import json

    entries = []
    for path in (directory / "records").glob("*.jsonl"):
        entries.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return entries


def query(cluster, sql, *params):
    import psycopg

    with psycopg.connect(cluster.database_url) as conn:
        return conn.execute(sql, params).fetchall()


def test_load_with_a_server_killed_and_restarted(cluster, tmp_path):
    import json

    from .conftest import ARTIFACTS

    smtp = cluster.smtp
    mails_before = len(smtp.messages)
    victim = cluster.servers[1]
    load = run_locust(cluster, tmp_path)
    try:
        time.sleep(KILL_AFTER)
        assert load.poll() is None, (tmp_path / "locust.log").read_text()
        killed_at = time.time()
        victim.kill()
        time.sleep(DOWN_FOR)
        victim.start()
        restarted_at = time.time()
        load.wait(LOAD_SECONDS + 60)
    finally:
        if load.poll() is None:
            os.killpg(load.pid, 9)
            load.wait()
    log = (tmp_path / "locust.log").read_text()
    assert load.returncode == 0, log[-3000:]
    totals = locust_totals(tmp_path)
    records = read_records(tmp_path)

    # Errors: only requests that were in flight on the killed server. nginx passes a failed GET
    # on to the other server, and a POST whose connection was refused; a POST that had reached
    # the killed server is answered 502. Each simulated official has at most one request in
    # flight, so there can be no more errors than officials, all at the moment of the kill.
    entries = [e for e in cluster.nginx.log_lines() if e["time"] >= killed_at - LOAD_SECONDS]
    errors = [e for e in entries if e["status"] >= 500]
    in_flight = [e for e in errors if victim.address in e["upstream"] and e["time"] - e["duration"] <= killed_at + 0.5]
    served = {}
    for entry in entries:
        last = entry["upstream"].split(", ")[-1]
        served[last] = served.get(last, 0) + 1
    after_restart = [e for e in entries if e["time"] > restarted_at and e["upstream"].split(", ")[-1] == victim.address]
    retried = [e for e in entries if ", " in e["upstream"]]

    # Every acknowledged change is in the database.
    users_acknowledged = [r for r in records if r["kind"] == "user" and r["phase"] == "done" and r["ok"]]
    users_sent = [r for r in records if r["kind"] == "user" and r["phase"] == "sent"]
    stored = dict(query(cluster, "SELECT email, username FROM user_account WHERE email LIKE 'load-%%'"))
    missing_users = [r for r in users_acknowledged if stored.get(r["email"]) != r["username"]]
    edits_missing = []
    edits_acknowledged = 0
    for slot in cluster.setup["slots"]:
        done = [r for r in records if r["kind"] == "edit" and r["phase"] == "done" and r["access_id"] == slot["access_id"]]
        sent = [r for r in records if r["kind"] == "edit" and r["phase"] == "sent" and r["access_id"] == slot["access_id"]]
        acknowledged = [r for r in done if r["ok"]]
        edits_acknowledged += len(acknowledged)
        (recorded,) = query(
            cluster,
            "SELECT count(*) FROM history_entry WHERE action = 'module_access.updated' AND authority_id = %s",
            slot["authority_id"],
        )[0]
        if not len(acknowledged) <= recorded <= len(sent):
            edits_missing.append((slot["access_id"], len(acknowledged), recorded, len(sent)))
        if acknowledged:
            # The stored value is the last acknowledged one, or that of a later, unanswered save.
            (value,) = query(cluster, "SELECT may_refuse_requests FROM module_access WHERE id = %s", slot["access_id"])[0]
            last = max(acknowledged, key=lambda r: r["time"])
            later = {r["value"] for r in sent if r["time"] > last["time"]}
            if value != last["value"] and value not in later:
                edits_missing.append((slot["access_id"], "value", value, last["value"]))

    # run-jobs on both servers at once: each job's work is done once.
    runs = [server.flask("imi", "run-jobs") for server in cluster.servers]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    reports = [out for out, _err in outputs]
    queued = sum(int(m) for out in reports for m in re.findall(r"password-reminders: (\d+) reminders? queued", out))
    skipped = sum(out.count("skipped: running on another server") for out in reports)
    reminded = cluster.setup["reminded"]
    deadline = time.time() + 60
    while time.time() < deadline and not all(any(r in m["to"] for m in smtp.messages) for r in reminded):
        time.sleep(0.2)

    # No mail twice: one per recipient (every address here receives one mail).
    time.sleep(2)
    messages = smtp.messages[mails_before:]
    per_recipient = {}
    for message in messages:
        for recipient in message["to"]:
            per_recipient[recipient] = per_recipient.get(recipient, 0) + 1
    duplicates = {r: n for r, n in per_recipient.items() if n > 1}
    message_ids = [m["message"]["Message-ID"] for m in messages]
    outbox = dict(query(cluster, "SELECT status::text, count(*) FROM outbox_message GROUP BY status"))
    unsent = query(
        cluster,
        "SELECT recipient, status::text, attempts, claimed_until, created_at, last_error FROM outbox_message"
        " WHERE status::text NOT IN ('sent', 'SENT')",
    )
    acknowledged_unmailed = [r["email"] for r in users_acknowledged if r["email"] not in per_recipient]

    summary = {
        "officials": LOAD_USERS, "seconds": LOAD_SECONDS, "killed_after_s": KILL_AFTER, "down_for_s": DOWN_FOR,
        **{k: v for k, v in totals.items() if k != "by_name"},
        "nginx_errors": len(errors), "errors_in_flight_on_killed_server": len(in_flight),
        "retried_on_the_other_server": len(retried),
        "served_per_server": served, "served_by_restarted_server": len(after_restart),
        "users_registered_acknowledged": len(users_acknowledged), "users_registration_attempts": len(users_sent),
        "edits_acknowledged": edits_acknowledged,
        "mails": len(messages), "duplicate_mails": duplicates, "outbox": outbox,
        "acknowledged_users_not_mailed_yet": acknowledged_unmailed,
        "run_jobs_reports": reports, "reminders_queued": queued, "jobs_skipped_for_the_other_server": skipped,
        "by_name": totals["by_name"],
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(
        f"\nload: {totals['requests']} requests in {LOAD_SECONDS} s ({totals['requests_per_second']}/s), "
        f"{totals['failures']} failed (nginx: {len(errors)} errors, {len(in_flight)} in flight on the killed server), "
        f"p50 {totals['p50_ms']} ms, p95 {totals['p95_ms']} ms; per server {served}; "
        f"{len(retried)} retried on the other server; {len(users_acknowledged)} users and {edits_acknowledged} "
        f"edits acknowledged; {len(messages)} mails; unsent outbox {unsent}"
    )

    assert not missing_users, missing_users
    assert not edits_missing, edits_missing
    assert users_acknowledged and edits_acknowledged
    assert not duplicates, duplicates
    assert len(set(message_ids)) == len(message_ids)
    assert queued == len(reminded), reports
    assert all(per_recipient.get(r) == 1 for r in reminded), ({r: per_recipient.get(r) for r in reminded}, unsent, killed_at)
    # A registration's mail may be held only by a claim of the killed server (sent after it expires).
    claimed = {row[0] for row in unsent}
    assert all(email in claimed for email in acknowledged_unmailed), (acknowledged_unmailed, unsent)
    assert len(errors) == len(in_flight), errors
    assert totals["failures"] <= LOAD_USERS and len(errors) <= LOAD_USERS, summary
    assert all(server.address in served for server in cluster.servers), served
    assert after_restart, "the restarted server got no requests"

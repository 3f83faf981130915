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

from .conftest import DEPLOY, NGINX, TEMP_PATHS, missing

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

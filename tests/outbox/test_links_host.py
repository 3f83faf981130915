"""The application says once in its log when it is reached at another host than IMI_BASE_URL's."""

import logging


def test_a_request_at_another_host_is_warned_about_once(app, client, caplog):
    with caplog.at_level(logging.WARNING, logger="imi_web.outbox.links"):
        client.get("/login", base_url="http://localhost:8731")
        client.get("/login", base_url="http://localhost:8731")
    warnings = [r for r in caplog.records if r.name == "imi_web.outbox.links"]
    assert len(warnings) == 1
    assert "localhost:8731" in warnings[0].getMessage()
    assert app.config["BASE_URL"] in warnings[0].getMessage()


def test_no_warning_at_the_configured_host(app, client, caplog):
    host = app.config["BASE_URL"].split("://", 1)[1].rstrip("/")
    with caplog.at_level(logging.WARNING, logger="imi_web.outbox.links"):
        client.get("/login", base_url=f"http://{host}")
    assert not [r for r in caplog.records if r.name == "imi_web.outbox.links"]

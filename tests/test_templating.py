"""Jinja helpers of imi_web/templating.py."""


def test_postal_address_leaves_out_empty_parts():
    from types import SimpleNamespace

    from imi_web.templating import postal_address

    def address(street, code, city):
        return postal_address(SimpleNamespace(street_address=street, postal_code=code, city=city))

    assert address("Amatu iela 4", "LV-1050", "Rīga") == "Amatu iela 4, LV-1050 Rīga"
    assert address("", "", "Jelgava") == "Jelgava"
    assert address("Amatu iela 4", "", "") == "Amatu iela 4"
    assert address("", "", "") == "—"


def test_dates_in_the_readers_language_and_the_installations_time_zone(app):
    """English day-month-year, not the US pattern; Latvian as Latvians write it; Riga time."""
    from datetime import datetime, timezone

    from flask_babel import force_locale

    from imi_web.i18n import format_day, format_moment, iso_moment

    moment = datetime(2026, 12, 6, 5, 47, 12, 345678, tzinfo=timezone.utc)  # 07:47 in Riga
    with app.test_request_context():
        with force_locale("en"):
            assert format_moment(moment) == "6 Dec 2026, 07:47"
            assert format_day(moment) == "6 Dec 2026"
            assert format_day(moment, "long") == "6 December 2026"
        with force_locale("lv"):
            assert format_moment(moment) == "2026. g. 6. dec. 07:47"
            assert format_day(moment, "long") == "2026. gada 6. decembris"
    assert iso_moment(moment) == "2026-12-06T05:47:12+00:00"  # no microseconds in <time datetime>

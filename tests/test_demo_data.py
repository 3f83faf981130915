"""The demo data file (imi_web/demo.toml): hand-edited, so every name in it must lead somewhere.

The loader passes over what it cannot find (a classification code of no list, say) so that it
fits next to existing data; these checks catch a typo in the file before it silently drops a row.
"""

from importlib import resources

import pytest

from imi_web import demo


def test_the_data_file_is_package_data():
    assert resources.files("imi_web").joinpath("demo.toml").is_file()


def test_every_reference_in_the_data_file_exists():
    countries = {code for code, _lv, _en in demo.COUNTRIES}
    modules = {module["code"]: module for module in demo.MODULES}
    general = {clist["code"]: {code for code, _lv, _en in clist["entries"]} for clist in demo.GENERAL_LISTS}
    authorities = {spec.key: spec for spec in demo.AUTHORITIES}
    assert len(authorities) == len(demo.AUTHORITIES), "two authorities share a key"
    for spec in demo.AUTHORITIES:
        assert spec.country in countries and spec.country in demo.NAMES and spec.country in demo.PHONES
        assert set(spec.fields) <= general["FIELDS"], spec.key
        assert spec.level in general["LEVEL"], spec.key
        assert set(spec.managers) <= set(authorities), spec.key
        assert set(spec.delegated) <= set(modules), spec.key
        for access in spec.accesses:
            module = modules[access.module]
            assert set(access.classes) <= {code for code, _lv, _en in module["classification"]}, spec.key
            if access.linked is not None:
                linked = authorities[access.linked]
                assert linked.country == spec.country, spec.key
                assert any(a.coordinator and a.module == access.module for a in linked.accesses), spec.key
    for invitation in demo.INVITATIONS:
        assert invitation["inviting_authority"] in authorities
        assert invitation.get("authority") in {None, *authorities}
    for login in demo.DEMO_LOGINS:
        assert login.authority in authorities


def test_a_field_the_loader_does_not_know_is_refused():
    entry = {
        "key": "x", "country": "LV", "official_name": "X", "informal_name": "X", "city": "Rīga",
        "street_address": "Iela 1", "postal_code": "LV-1000", "domain": "x.lv.example", "fields": [],
        "level": "NAT",
    }
    assert demo.AuthoritySpec.read(entry).users == 3
    with pytest.raises(TypeError):
        demo.AuthoritySpec.read({**entry, "manager": ["em"]})
    with pytest.raises(ValueError, match="example"):
        demo.AuthoritySpec.read({**entry, "domain": "x.lv"})  # RFC 2606: only .example never delivers

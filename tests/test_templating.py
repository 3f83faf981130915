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

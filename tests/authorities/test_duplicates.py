"""Likely duplicates of an authority being registered (R-2.0), on SQLite and PostgreSQL.

The pure helpers (normalise_name, website_host) take ``backend`` only because the whole
module is parametrized by it; they do not touch the database.
"""

import pytest

from imi_web.authorities import duplicates
from imi_web.authorities.duplicates import (
    Duplicate,
    find_duplicates,
    names_similar,
    normalise_name,
    website_host,
)
from imi_web.models import AuthorityStatus
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def lv(factory):
    return factory.country("LV").id


def ids(found):
    return [d.authority.id for d in found]


def reasons_of(found, authority):
    return next(d.reasons for d in found if d.authority.id == authority.id)


# --- normalise_name ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Rīgas Būvvalde", "rigas buvvalde"),
        ("  RĪGAS   būvvalde ", "rigas buvvalde"),
        ('SIA "Latvijas Gāze"', "latvijas gaze"),
        ("SIA „Latvijas Gāze“", "latvijas gaze"),
        ("Latvijas Gāze, AS", "latvijas gaze"),
        ("S.I.A. Latvijas Gāze", "latvijas gaze"),
        ("A/S Latvijas Gāze", "latvijas gaze"),
        ("VAS Latvijas Valsts ceļi", "latvijas valsts celi"),
        ("Valsts akciju sabiedrība «Latvijas Valsts ceļi»", "latvijas valsts celi"),
        ("UAB „Vilniaus vandenys“", "vilniaus vandenys"),
        (
            "VšĮ Respublikinė Vilniaus universitetinė ligoninė",
            "respublikine vilniaus universitetine ligonine",
        ),
        ("Tallinna Vesi OÜ", "tallinna vesi"),
        ("MTÜ Eesti Külaliikumine Kodukant", "eesti kulaliikumine kodukant"),
        ("Example Ltd.", "example"),
        ("Example GmbH", "example"),
        # Words that are part of a public body's name are kept.
        ("Valsts aģentūra „Latvijas Investīciju un attīstības aģentūra“",
         "valsts agentura latvijas investiciju un attistibas agentura"),
        ("Valsts ieņēmumu dienests", "valsts ienemumu dienests"),
        ("Ārlietu ministrija", "arlietu ministrija"),
        # Legal-form words only at the start or end, and never everything.
        ("Rīgas VI vidusskola", "rigas vi vidusskola"),
        ("SIA", "sia"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_name(backend, raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    "a, b, similar",
    [
        ("Būvvalde Rīgas", "Rīgas būvvalde", True),  # the same words in another order
        ("Valsts ieņēmumu dienests", "Valsts ieņēmumu dienestz", True),  # a typo
        ("Valsts policija", "Latvijas Republikas Valsts policija", True),  # contained, 2 words
        ("Policija", "Valsts policija", False),  # contained, but a single word
        ("Valsts ieņēmumu dienests", "Valsts darba inspekcija", False),
        ("Cēsu novada pašvaldība", "Talsu novada pašvaldība", False),
        ("Rīgas 1. vidusskola", "Rīgas 2. vidusskola", False),
        ("Valsts policija", "Valsts policijas koledža", False),
    ],
)
def test_names_similar(backend, a, b, similar):
    assert names_similar(a, b) is similar
    assert names_similar(b, a) is similar


# --- website_host -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("https://www.vid.gov.lv/lv/kontakti", "vid.gov.lv"),
        ("vid.gov.lv", "vid.gov.lv"),
        ("http://VID.gov.lv", "vid.gov.lv"),
        ("www.vid.gov.lv/", "vid.gov.lv"),
        ("https://vid.gov.lv.:8443/path?q=1#x", "vid.gov.lv"),
        ("  //www.vid.gov.lv  ", "vid.gov.lv"),
        ("https://www.ārsts.lv", "xn--rsts-psa.lv"),
        ("https://xn--rsts-psa.lv", "xn--rsts-psa.lv"),
        ("https://sub.vid.gov.lv", "sub.vid.gov.lv"),
        ("", ""),
        (None, ""),
        ("https://", ""),
        ("http://[::1", ""),
    ],
)
def test_website_host(backend, raw, expected):
    assert website_host(raw) == expected


# --- find_duplicates: names -------------------------------------------------------------


def test_accents_and_case_are_ignored(factory, backend):
    existing = factory.authority("Rīgas Būvvalde")
    for name in ("rigas buvvalde", "RĪGAS BŪVVALDE", "Rigas  Buvvalde"):
        found = find_duplicates(lv(factory), official_name=name)
        assert ids(found) == [existing.id]
        assert found[0].reasons == ["same_name"]
        assert found[0].is_exact
        assert isinstance(found[0], Duplicate)


def test_punctuation_and_quotes_are_ignored(factory, backend):
    existing = factory.authority('SIA "Latvijas Gāze"')
    found = find_duplicates(lv(factory), official_name="Latvijas gāze")
    assert ids(found) == [existing.id]
    assert found[0].reasons == ["same_name"]


def test_legal_form_words_are_ignored(factory, backend):
    existing = factory.authority("VAS Latvijas Valsts ceļi")
    found = find_duplicates(lv(factory), official_name="Latvijas Valsts ceļi")
    assert ids(found) == [existing.id]
    assert found[0].reasons == ["same_name"]
    # And the other way round.
    other = factory.authority("Latvijas Vēstnesis")
    assert ids(find_duplicates(lv(factory), official_name="VSIA „Latvijas Vēstnesis“")) == [other.id]


def test_similar_names_are_found(factory, backend):
    existing = factory.authority("Valsts ieņēmumu dienests")
    found = find_duplicates(lv(factory), official_name="Valsts ienēmumu dienest")
    assert ids(found) == [existing.id]
    assert found[0].reasons == ["similar_name"]
    assert not found[0].is_exact
    assert 0.88 <= found[0].score < 1

    reordered = find_duplicates(lv(factory), official_name="Dienests Valsts ieņēmumu")
    assert ids(reordered) == [existing.id]
    assert reordered[0].reasons == ["similar_name"]


def test_name_contained_in_another_is_similar(factory, backend):
    existing = factory.authority("Latvijas Republikas Valsts policija")
    found = find_duplicates(lv(factory), official_name="Valsts policija")
    assert ids(found) == [existing.id]
    assert found[0].reasons == ["similar_name"]


def test_informal_names_are_compared(factory, backend):
    existing = factory.authority("Valsts ieņēmumu dienests", informal_name="VID nodokļu administrācija")
    # The new official name matches the existing informal name...
    found = find_duplicates(lv(factory), official_name="VID nodokļu administrācija")
    assert ids(found) == [existing.id]
    assert found[0].reasons == ["same_name"]
    # ...and the new informal name matches the existing official name.
    found = find_duplicates(
        lv(factory), official_name="Nodokļu iestāde", informal_name="valsts ieņēmumu dienests"
    )
    assert ids(found) == [existing.id]
    assert found[0].reasons == ["same_name"]


def test_unrelated_names_are_not_matched(factory, backend):
    factory.authority("Valsts darba inspekcija")
    factory.authority("Valsts policija")
    factory.authority("Talsu novada pašvaldība")
    factory.authority("Rīgas 2. vidusskola")
    country = lv(factory)
    assert find_duplicates(country, official_name="Valsts ieņēmumu dienests") == []
    assert find_duplicates(country, official_name="Cēsu novada pašvaldība") == []
    assert find_duplicates(country, official_name="Rīgas 1. vidusskola") == []


# --- find_duplicates: e-mail and website ------------------------------------------------


def test_same_email_ignoring_case_and_whitespace(factory, backend):
    existing = factory.authority("Valsts ieņēmumu dienests", email="VID@vid.gov.lv")
    factory.authority("Valsts darba inspekcija", email="vdi@vdi.gov.lv")
    found = find_duplicates(lv(factory), official_name="Nodokļu administrācija", email="  vid@VID.gov.lv ")
    assert ids(found) == [existing.id]
    assert found[0].reasons == ["same_email"]
    assert found[0].score == 0


def test_same_website_host(factory, backend):
    existing = factory.authority("Valsts ieņēmumu dienests", website="https://www.vid.gov.lv/lv/kontakti")
    factory.authority("Valsts darba inspekcija", website="https://www.vdi.gov.lv")
    factory.authority("VID apakšvienība", website="https://sub.vid.gov.lv")  # another host
    for given in ("vid.gov.lv", "http://VID.gov.lv/", "www.vid.gov.lv:443/en"):
        found = find_duplicates(lv(factory), official_name="Nodokļu administrācija", website=given)
        assert ids(found) == [existing.id], given
        assert found[0].reasons == ["same_website"]


def test_website_host_must_be_the_same_not_just_contained(factory, backend):
    factory.authority("Iestāde A", website="https://vidxgov.lv")  # "_" is no LIKE wildcard
    factory.authority("Iestāde B", website="https://novid_gov.lv")
    factory.authority("Iestāde C", website="https://example.lv/?from=vid_gov.lv")
    existing = factory.authority("Iestāde D", website="https://vid_gov.lv")
    found = find_duplicates(lv(factory), official_name="Cita iestāde", website="vid_gov.lv")
    assert ids(found) == [existing.id]


def test_reasons_are_combined_and_ordered_by_strength(factory, backend):
    both = factory.authority("Valsts ieņēmumu dienests", email="vid@vid.gov.lv", website="vid.gov.lv")
    name_only = factory.authority("SIA Valsts ieņēmumu dienests")
    similar = factory.authority("Valsts ieņēmumu dienest")
    email_only = factory.authority("Kaut kas cits", email="VID@vid.gov.lv")
    found = find_duplicates(
        lv(factory),
        official_name="Valsts ieņēmumu dienests",
        email="vid@vid.gov.lv",
        website="https://vid.gov.lv",
    )
    assert ids(found) == [both.id, name_only.id, email_only.id, similar.id]
    assert reasons_of(found, both) == ["same_name", "same_email", "same_website"]
    assert reasons_of(found, name_only) == ["same_name"]
    assert reasons_of(found, email_only) == ["same_email"]
    assert reasons_of(found, similar) == ["similar_name"]
    limited = find_duplicates(
        lv(factory), official_name="Valsts ieņēmumu dienests", email="vid@vid.gov.lv", limit=2
    )
    assert ids(limited) == [both.id, name_only.id]


# --- find_duplicates: scope -------------------------------------------------------------


def test_other_countries_are_not_matched(factory, backend):
    factory.authority("Rīgas Būvvalde", country="LT", email="info@rigas.lv", website="rigas.lv")
    lv_authority = factory.authority("Rīgas Būvvalde", country="LV")
    found = find_duplicates(
        lv(factory), official_name="Rīgas Būvvalde", email="info@rigas.lv", website="rigas.lv"
    )
    assert ids(found) == [lv_authority.id]


def test_exclude_id_leaves_out_the_authority_itself(factory, backend):
    existing = factory.authority("Rīgas Būvvalde", email="buvvalde@riga.lv")
    found = find_duplicates(
        lv(factory), official_name="Rīgas Būvvalde", email="buvvalde@riga.lv", exclude_id=existing.id
    )
    assert found == []
    assert ids(find_duplicates(lv(factory), official_name="Rīgas Būvvalde")) == [existing.id]


def test_rejected_are_ignored_deactivated_and_awaiting_are_not(factory, backend):
    factory.authority("Rīgas Būvvalde", status=AuthorityStatus.REJECTED, email="b@riga.lv")
    deactivated = factory.authority("Rigas buvvalde", status=AuthorityStatus.DEACTIVATED)
    awaiting = factory.authority("RĪGAS BŪVVALDE", status=AuthorityStatus.AWAITING_VALIDATION)
    found = find_duplicates(lv(factory), official_name="Rīgas Būvvalde", email="b@riga.lv")
    assert sorted(ids(found)) == sorted([deactivated.id, awaiting.id])
    assert all(d.reasons == ["same_name"] for d in found)


def test_nothing_to_compare_finds_nothing(factory, backend):
    factory.authority("Rīgas Būvvalde", email="", website="")
    assert find_duplicates(lv(factory), official_name="", email="  ", website="") == []
    assert find_duplicates(lv(factory), official_name="Rīgas Būvvalde", limit=0) == []


# --- find_duplicates: efficiency --------------------------------------------------------


def test_few_queries_and_the_best_candidates_survive_the_limit(factory, db, backend, monkeypatch, query_count):
    monkeypatch.setattr(duplicates, "CANDIDATE_LIMIT", 5)
    country = lv(factory)
    # Noise sharing both searched words with the new name: more rows than the candidate limit.
    for i in range(12):
        factory.authority(f"Novada pašvaldības iestāde Nr. {i}")
    target = factory.authority("Ogres novada pašvaldība")
    by_email = factory.authority("Pavisam cits nosaukums", email="dome@ogre.lv")
    for i in range(12):
        factory.authority(f"Novada pašvaldības aģentūra Nr. {i}", email=f"x{i}@ogre.lv")

    with query_count.statements() as statements:
        found = find_duplicates(country, official_name="Ogres novada pašvaldība", email="DOME@ogre.lv")

    assert ids(found) == [target.id, by_email.id]
    # One query for e-mail/website, one for names, one loading the few authorities found.
    assert len(statements) <= 3
    assert all(stmt.count("LIMIT") == 1 for stmt in statements[:2])

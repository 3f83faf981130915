"""What the system operator does from the command line (SPEC §1): countries, modules, bootstrap."""

import sqlalchemy as sa

from . import history
from .extensions import db
from .models import (
    Authority,
    AuthorityStatus,
    ClassificationEntry,
    ClassificationList,
    Country,
    DelegationScope,
    Module,
    ModuleRight,
    User,
)
from .users.operations import register_user


class OperatorError(Exception):
    """A refusal with a message for the operator's console."""


def get_or_create_country(code: str, name_lv: str | None = None, name_en: str | None = None) -> Country:
    code = code.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise OperatorError(f"Country code must be two letters (ISO 3166-1), got {code!r}.")
    country = db.session.scalar(sa.select(Country).where(Country.code == code))
    if country is None:
        country = Country(code=code, name_lv=name_lv or code, name_en=name_en or code)
        db.session.add(country)
        db.session.flush()
    return country


def bootstrap(
    *,
    country_code: str,
    authority_name: str,
    first_name: str,
    surname: str,
    email: str,
    language: str = "lv",
    country_name_lv: str | None = None,
    country_name_en: str | None = None,
) -> tuple[Authority, User, str]:
    """Create a country's NIMIC (an access manager for all modules) and its first administrator.

    The temporary password is returned for the operator's console and is not mailed.
    """
    country = get_or_create_country(country_code, country_name_lv, country_name_en)
    existing = db.session.scalar(
        sa.select(Authority).where(Authority.country_id == country.id, Authority.is_nimic.is_(True))
    )
    if existing is not None:
        raise OperatorError(
            f"Country {country.code} already has a national IMI coordinator: "
            f"{existing.official_name!r} (id {existing.id}). Nothing was created."
        )
    authority = Authority(
        country=country,
        official_name=authority_name.strip(),
        status=AuthorityStatus.ACTIVE,
        is_nimic=True,
        access_manager_scope=DelegationScope.FULL,
    )
    db.session.add(authority)
    db.session.flush()
    history.record_authority_change(
        "authority.bootstrapped",
        actor=None,
        authority=authority,
        changes={"official_name": [None, authority.official_name], "is_nimic": [None, True]},
    )
    user, password = register_user(
        authority,
        actor=None,
        first_name=first_name,
        surname=surname,
        email=email,
        language=language,
        is_admin=True,
        send_mail=False,
    )
    return authority, user, password


def add_module(
    *,
    code: str,
    name_lv: str,
    name_en: str,
    information_request: bool,
    linked_coordinator_required: bool,
    classification: list[tuple[str, str, str]],
    rights: list[tuple[str, str, str]],
) -> Module:
    """Introduce a module (R-4.1) with its classification list and user rights."""
    code = code.strip().upper()
    if not code:
        raise OperatorError("A module needs a code.")
    if db.session.scalar(sa.select(Module.id).where(Module.code == code)) is not None:
        raise OperatorError(f"Module {code} exists already. Nothing was created.")
    if not rights:
        raise OperatorError("A module needs at least one user right (--right CODE=lv name|en name).")
    module = Module(
        code=code,
        name_lv=name_lv,
        name_en=name_en,
        is_information_request=information_request,
        linked_coordinator_required=linked_coordinator_required,
    )
    module.rights = [ModuleRight(code=c, name_lv=lv, name_en=en) for c, lv, en in rights]
    db.session.add(module)
    if classification:
        new_classification_list(code=code, name_lv=name_lv, name_en=name_en, entries=classification, module=module)
    db.session.flush()
    history.record(
        "module.added",
        actor=None,
        authority=None,
        subject=module,
        subject_label=module.name_en,
        changes={"code": [None, module.code]},
    )
    return module


def new_classification_list(
    *, code: str, name_lv: str, name_en: str, entries: list[tuple[str, str, str]], module: Module | None = None
) -> ClassificationList:
    """A classification list, a module's or a general one, with its entries in the given order."""
    clist = ClassificationList(
        code=code,
        name_lv=name_lv,
        name_en=name_en,
        module=module,
        entries=[
            ClassificationEntry(code=c, name_lv=lv, name_en=en, position=i) for i, (c, lv, en) in enumerate(entries)
        ],
    )
    db.session.add(clist)
    return clist


def parse_labelled(value: str) -> tuple[str, str, str]:
    """``CODE=Latvian name|English name`` → (code, lv, en)."""
    code, sep, names = value.partition("=")
    lv, bar, en = names.partition("|")
    if not sep or not bar or not code.strip() or not lv.strip() or not en.strip():
        raise OperatorError(f"Expected CODE=Latvian name|English name, got {value!r}.")
    return code.strip().upper(), lv.strip(), en.strip()

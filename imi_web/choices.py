"""The choices that selects offer, in the request's language: modules, countries, and the
entries of the general classification lists. One small query each, with statements built once."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager
from wtforms import SelectChoice

from .extensions import db
from .i18n import current_language
from .models import AccessStatus, ClassificationEntry, ClassificationList, Country, Module, ModuleAccess
from .models.authorities import access_manager_module

_MODULES = sa.select(Module.id, Module.code, Module.name_lv, Module.name_en).order_by(Module.code)
_DELEGATED_MODULES = (
    sa.select(Module.id, Module.code, Module.name_lv, Module.name_en)
    .join(access_manager_module, access_manager_module.c.module_id == Module.id)
    .where(access_manager_module.c.authority_id == sa.bindparam("authority"))
    .order_by(Module.code)
)
_COUNTRIES = sa.select(Country.id, Country.name_lv, Country.name_en)
_GENERAL_CLASSIFICATION = (
    sa.select(ClassificationEntry.id, ClassificationEntry.name_lv, ClassificationEntry.name_en)
    .join(ClassificationList)
    .where(ClassificationList.module_id.is_(None))
    .order_by(ClassificationList.code, ClassificationEntry.position)
)


@dataclass(frozen=True, slots=True)
class ModuleChoice:
    """A module as a select or a column shows it: its code and its name in one language."""

    id: int
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


def modules(language: str | None = None, *, delegated_by: int | None = None) -> list[ModuleChoice]:
    """Every module in code order; ``delegated_by``: only the modules delegated to that
    authority (a partial delegation, R-1.2)."""
    language = language or current_language()
    connection = db.session.connection()
    if delegated_by is None:
        rows = connection.execute(_MODULES)
    else:
        rows = connection.execute(_DELEGATED_MODULES, {"authority": delegated_by})
    return [ModuleChoice(id_, code, name_lv if language == "lv" else name_en) for id_, code, name_lv, name_en in rows]


def module_choices(language: str | None = None) -> list[tuple[int, str]]:
    """``(id, "CODE — name")`` of every module, in code order."""
    return [(module.id, module.label) for module in modules(language)]


def module_select(loaded, language: str | None = None) -> list[SelectChoice]:
    """Options of modules already loaded (``Module`` objects, e.g. those one may grant)."""
    language = language or current_language()
    return [SelectChoice(m.id, ModuleChoice(m.id, m.code, m.name(language)).label) for m in loaded]


def entry_select(entries, language: str | None = None) -> list[SelectChoice]:
    """Options of classification entries already loaded (e.g. a module's list)."""
    language = language or current_language()
    return [SelectChoice(entry.id, entry.name(language)) for entry in entries]


def country_choices(language: str | None = None) -> list[tuple[int, str]]:
    """``(id, name)`` of every country, sorted by the name in ``language``."""
    language = language or current_language()
    rows = db.session.connection().execute(_COUNTRIES)
    return sorted(((id_, name_lv if language == "lv" else name_en) for id_, name_lv, name_en in rows), key=lambda c: c[1])


def general_classification_choices(language: str | None = None) -> list[SelectChoice]:
    """The entries of the general classification lists (no module's), list by list."""
    language = language or current_language()
    entries = db.session.connection().execute(_GENERAL_CLASSIFICATION)
    return [SelectChoice(id_, name_lv if language == "lv" else name_en) for id_, name_lv, name_en in entries]


def active_accesses(authority, *, rights: bool = False) -> list[ModuleAccess]:
    """The authority's active module accesses with their modules, by module code (the modules'
    user rights too with ``rights``): what may be assigned, suspended on deactivation, listed."""
    module = contains_eager(ModuleAccess.module)
    return list(
        db.session.scalars(
            sa.select(ModuleAccess)
            .join(Module)
            .where(ModuleAccess.authority_id == authority.id, ModuleAccess.status == AccessStatus.ACTIVE)
            .options(module.selectinload(Module.rights) if rights else module)
            .order_by(Module.code)
        )
    )

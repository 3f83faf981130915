"""Views of the directory: load (404) → policy (403) → query; read-only, nothing to commit."""

import sqlalchemy as sa
from flask import abort, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from .. import policy
from ..extensions import db
from ..htmx import is_htmx, render
from ..models import Authority, Country, Module
from ..templating import history_value
from . import bp
from .search import ROLES, DirectoryCriteria, active_modules, search_directory


def language() -> str:
    return str(get_locale())


def criteria_choices(lang: str) -> dict:
    """The options of the country and module criteria: one small query each."""
    countries = db.session.execute(sa.select(Country.id, Country.name_lv, Country.name_en)).all()
    modules = db.session.execute(sa.select(Module.id, Module.code, Module.name_lv, Module.name_en).order_by(Module.code)).all()
    return {
        "countries": sorted(
            ((c.id, c.name_lv if lang == "lv" else c.name_en) for c in countries), key=lambda choice: choice[1]
        ),
        "modules": [(m.id, f"{m.code} — {m.name_lv if lang == 'lv' else m.name_en}") for m in modules],
        "roles": ROLES,
    }


@bp.get("/")
@login_required
def search():
    policy.require(policy.may_search_directory(current_user))
    criteria = DirectoryCriteria.from_args(request.args)
    lang = language()
    results = search_directory(criteria, language=lang)
    # The role labels once, not once per module of every row.
    context = {"criteria": criteria, "results": results, "lang": lang, "role_labels": {r: history_value(r) for r in ROLES}}
    if not is_htmx():  # the search form: only the full page shows it
        context.update(criteria_choices(lang))
    return render("directory/search.html", "directory/_results.html", **context)


def load_listed_authority(authority_id: int) -> Authority:
    """An authority the directory lists: active, or not found at all (R-5.2)."""
    policy.require(policy.may_search_directory(current_user))
    authority = db.get_or_404(Authority, authority_id)
    if not policy.may_see_in_directory(current_user, authority):
        abort(404)
    return authority


@bp.get("/<int:authority_id>")
@login_required
def show(authority_id):
    authority = load_listed_authority(authority_id)
    return render(
        "directory/show.html",
        "directory/_authority.html",
        authority=authority,
        modules=active_modules([authority.id], language()).get(authority.id, []),
        back=url_for("directory.search", **DirectoryCriteria.from_args(request.args).args()),
        lang=language(),
    )

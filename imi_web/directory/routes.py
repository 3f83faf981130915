"""Views of the directory: load (404) → policy (403) → query; read-only, nothing to commit."""

from flask import abort, request, url_for
from flask_login import current_user, login_required

from .. import policy
from ..choices import country_choices, module_choices
from ..extensions import db
from ..htmx import is_htmx, render
from ..i18n import current_language
from ..models import Authority
from ..templating import history_value
from . import bp
from .search import ROLES, DirectoryCriteria, active_modules, search_directory


def criteria_choices(lang: str) -> dict:
    """The options of the country and module criteria: one small query each."""
    return {"countries": country_choices(lang), "modules": module_choices(lang), "roles": ROLES}


@bp.get("/")
@login_required
def search():
    policy.require(policy.may_search_directory(current_user))
    criteria = DirectoryCriteria.from_args(request.args)
    lang = current_language()
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
        modules=active_modules([authority.id], current_language()).get(authority.id, []),
        back=url_for("directory.search", **DirectoryCriteria.from_args(request.args).args()),
        lang=current_language(),
    )

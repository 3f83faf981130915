"""Menu "Administration" → "Managed authorities" (R-3.0, R-4.2): the search; its CSV export is
``export_routes.py``."""

import sqlalchemy as sa
from flask import request
from flask_login import login_required

from .. import policy
from ..extensions import db
from ..htmx import is_htmx, render
from ..models import AuthorityStatus, Module
from ..templating import history_value
from . import bp
from .loading import general_classification_choices, language
from .search import Criteria, search_managed

_MODULE_CHOICES = sa.select(Module.id, Module.code, Module.name_lv, Module.name_en).order_by(Module.code)


@bp.get("/")
@login_required
def index():
    user = policy.acting_user()
    policy.require(policy.may_search_managed(user))
    criteria = Criteria.from_args(request.args)
    results = search_managed(user, criteria)
    lang = language()
    context = dict(
        criteria=criteria,
        results=results,
        lang=lang,
        status_labels={status.value: history_value(status.value) for status in AuthorityStatus},
        grant_module=None,
    )
    if criteria.without_module:
        # grant the new module straight from the results, where the policy allows.
        module = db.session.get(Module, criteria.without_module)
        if module is not None and policy.may_grant_from_results(user, module):
            context["grant_module"] = module
            context["grant_to"] = {row.id for row in results.rows if policy.may_grant_to_result(user, module, row)}
    if not is_htmx():  # the search form: only the full page shows it
        modules = db.session.connection().execute(_MODULE_CHOICES).all()
        context.update(
            modules=[(m.id, f"{m.code} — {m.name_lv if lang == 'lv' else m.name_en}") for m in modules],
            classification=[(c.value, c.label) for c in general_classification_choices(lang)],
        )
    return render("authorities/index.html", "authorities/_results.html", **context)

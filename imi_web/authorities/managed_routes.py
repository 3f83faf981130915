"""Menu "Administration" → "Managed authorities" (R-3.0, R-4.2): the search; its CSV export is
``export_routes.py``."""

from flask import request
from flask_login import login_required

from .. import policy
from ..authority_search import Criteria, search_managed
from ..choices import general_classification_choices, module_choices
from ..extensions import db
from ..htmx import is_htmx, render
from ..i18n import current_language
from ..models import AuthorityStatus, Module
from ..templating import history_value
from . import bp


@bp.get("/")
@login_required
def index():
    user = policy.authorized_user(policy.may_search_managed)
    criteria = Criteria.from_args(request.args)
    results = search_managed(user, criteria)
    lang = current_language()
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
        context.update(
            modules=module_choices(lang),
            classification=[(c.value, c.label) for c in general_classification_choices(lang)],
        )
    return render("authorities/index.html", "authorities/_results.html", **context)

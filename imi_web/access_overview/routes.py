"""Views of the access overview: the criteria → policy (403) → query; read-only."""

from flask import request
from flask_babel import gettext as _

from flask_login import login_required

from .. import policy
from ..choices import general_classification_choices
from ..exports import criteria_args, csv_response, export_filename
from ..htmx import is_htmx, render
from ..i18n import current_language
from ..models import AuthorityStatus
from ..security_events import EXPORTED_ACCESS_OVERVIEW
from ..templating import history_value
from . import bp
from .export import overview_rows
from .search import OverviewCriteria, overview_page, visible_modules


@bp.get("/")
@login_required
def index():
    user = policy.authorized_user(policy.may_view_access_overview)
    criteria = OverviewCriteria.from_args(request.args)
    lang = current_language()
    modules = visible_modules(user, lang)
    results, cells, totals = overview_page(user, criteria, modules)
    statuses = {status.value: history_value(status.value) for status in AuthorityStatus}
    context = {"criteria": criteria, "results": results, "cells": cells, "totals": totals, "modules": modules}
    context["status_labels"] = statuses
    if not is_htmx():  # the search form: only the full page shows it
        context["classification"] = [(c.value, c.label) for c in general_classification_choices(lang)]
        context["module_choices"] = [(m.id, f"{m.code} — {m.name}") for m in modules]
    return render("access_overview/index.html", "access_overview/_matrix.html", **context)


@bp.get("/export.csv")
@login_required
def export():
    user = policy.authorized_user(policy.may_view_access_overview)
    criteria = OverviewCriteria.from_args(request.args)
    modules = visible_modules(user, current_language())
    header = [
        _("Official name"),
        _("Informal name"),
        _("City"),
        _("Authority status"),
        _("Module"),
        _("Module name"),
        _("Role"),
        _("Access status"),
        _("Linked coordinator"),
        _("Granted"),
        _("Changed"),
    ]
    return csv_response(
        export_filename("access-overview"),
        header,
        lambda: overview_rows(user, criteria, modules),
        what=EXPORTED_ACCESS_OVERVIEW,
        criteria=criteria_args(),
    )

"""Views of the security events: load the criteria → policy (403) → query; read-only."""

from flask import request
from flask_login import login_required

from .. import policy
from ..htmx import is_htmx, render
from ..i18n import translate
from ..security_events import KIND_LABELS, REASON_LABELS
from . import bp
from .search import EventCriteria, search_events


@bp.get("/")
@login_required
def index():
    user = policy.acting_user()
    policy.require(policy.may_view_security_events(user))
    criteria = EventCriteria.from_args(request.args)
    context = {
        "criteria": criteria,
        "results": search_events(user.authority.country_id, criteria),
        "kind_labels": {kind: translate(label) for kind, label in KIND_LABELS.items()},
        "reason_labels": {reason: translate(label) for reason, label in REASON_LABELS.items()},
    }
    if not is_htmx():
        context["kinds"] = sorted(context["kind_labels"].items(), key=lambda item: item[1])
    return render("security_log/index.html", "security_log/_results.html", **context)

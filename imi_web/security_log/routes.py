"""Views of the security events: load the criteria → policy (403) → query; read-only."""

from flask import request
from flask_babel import gettext as _
from flask_login import login_required

from .. import policy
from ..exports import criteria_args, csv_response, export_filename
from ..htmx import is_htmx, render
from ..i18n import translate
from ..security_events import EXPORTED_EVENTS, KIND_LABELS, REASON_LABELS
from . import bp
from .search import EventCriteria, all_events, search_events


@bp.get("/")
@login_required
def index():
    user = policy.authorized_user(policy.may_view_security_events)
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


@bp.get("/export.csv")
@login_required
def export():
    user = policy.authorized_user(policy.may_view_security_events)
    criteria = EventCriteria.from_args(request.args)
    kinds = {kind: translate(label) for kind, label in KIND_LABELS.items()}
    reasons = {reason: translate(label) for reason, label in REASON_LABELS.items()}
    header = [
        _("Time"), _("Event"), _("Reason"), _("User"), _("Username"), _("Authority"), _("By"), _("Number"),
        _("Request"), _("Address"),
    ]

    def rows():
        for event in all_events(user.authority.country_id, criteria):
            request_text = f"{event.method} {event.route}".strip()
            if event.object:
                request_text += f" ({event.object})"
            yield [
                event.occurred_at,
                kinds.get(event.kind, event.kind),
                reasons.get(event.reason, event.reason),
                event.user_name,
                event.username,
                event.authority_name,
                event.actor_name,
                event.count,
                request_text,
                event.address,
            ]

    return csv_response(
        export_filename("security-events"), header, rows, what=EXPORTED_EVENTS, criteria=criteria_args()
    )

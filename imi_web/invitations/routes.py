"""Menu "Administration" → "Registration invitations" (R-2.2.1).

Views: load the invitation (404) → check the policy (403) → act (``refusals.acting``) → respond.
"""

from flask import flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import policy
from ..extensions import db
from ..inputs import db_int
from ..htmx import is_htmx, redirect_to, render
from ..models import Invitation, utcnow
from ..refusals import acting
from . import bp
from ..forms import ActionForm
from ..loading import load_visible
from .forms import InvitationForm
from .operations import (
    STATUS_LABELS,
    create_invitation,
    display_status,
    invitations_of,
    resend_invitation,
    revoke_invitation,
)


def load_invitation(invitation_id: int) -> Invitation:
    return load_visible(Invitation, invitation_id, policy.may_manage_invitation)


def row_context(**extra) -> dict:
    return {"status_labels": STATUS_LABELS, "display_status": display_status, "now": utcnow(), **extra}


def list_context() -> dict:
    status = request.args.get("status", "")
    if status not in STATUS_LABELS:
        status = ""
    page = max(db_int(request.args.get("page"), default=1), 1)
    return row_context(invitations=invitations_of(current_user.authority, status, page), status_filter=status)


@bp.get("/")
@login_required
def index():
    policy.require(policy.may_invite(current_user))
    return render("invitations/index.html", "invitations/_list.html", **list_context())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    policy.require(policy.may_invite(current_user))
    form = InvitationForm()
    if form.validate_on_submit():
        with acting(form, fallback="email") as outcome:
            invitation = create_invitation(
                current_user,
                email=form.email.data,
                suggested_name=form.suggested_name.data,
                language=form.language.data,
                message=form.message.data,
            )
        if outcome.done:
            flash(_("The invitation has been sent to %(email)s.", email=invitation.email), "success")
            return redirect_to(url_for("invitations.index"))
    status = 422 if request.method == "POST" else 200
    return render("invitations/create.html", "invitations/_form.html", status=status, form=form)


def _change(invitation_id: int, operation, done_message: str):
    invitation = load_invitation(invitation_id)
    form = ActionForm()
    error = None
    if not form.validate_on_submit():
        error = _("The form has expired. Reload the page and try again.")
    else:
        with acting() as outcome:
            operation(current_user, invitation)
        error = outcome.message() or None
    invitation = db.session.get(Invitation, invitation_id)
    if not is_htmx():
        flash(error or done_message % {"email": invitation.email}, "error" if error else "success")
        return redirect_to(url_for("invitations.index"))
    # htmx only: the row, with what happened beside its status.
    response = make_response(
        render_template(
            "invitations/_row.html",
            **row_context(
                invitation=invitation,
                row_message=error or done_message % {"email": invitation.email},
                row_error=bool(error),
            ),
        ),
        422 if error else 200,
    )
    response.vary.add("HX-Request")
    return response


@bp.post("/<int:invitation_id>/resend")
@login_required
def resend(invitation_id):
    return _change(invitation_id, resend_invitation, _("A new invitation has been sent to %(email)s; the old link no longer works."))


@bp.route("/<int:invitation_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke(invitation_id):
    """GET asks for confirmation (in the row for htmx, on a page of its own otherwise); POST revokes."""
    if request.method == "GET":
        invitation = load_invitation(invitation_id)
        context = row_context(invitation=invitation, confirming_revocation=True)
        return render("invitations/confirm_revoke.html", "invitations/_row.html", **context)
    return _change(invitation_id, revoke_invitation, _("The invitation to %(email)s has been revoked."))

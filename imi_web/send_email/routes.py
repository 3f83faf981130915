"""Views of "Send e-mail": compose → preview → send. Policy first on every route (403)."""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import policy
from ..choices import module_choices
from ..htmx import redirect_to, render
from ..refusals import acting
from . import bp
from .forms import CHOSEN, MessageForm
from .operations import (
    Selection,
    candidates,
    chosen_ids,
    mailing_criteria,
    send_message,
    sent_messages,
    summarize,
)


def read_request():
    """The form, criteria and ticked authorities of this request (GET: the defaults)."""
    source = request.form if request.method == "POST" else request.args
    form = MessageForm() if request.method == "POST" else MessageForm(formdata=None)
    criteria = mailing_criteria(source)
    chosen = chosen_ids(source.getlist("authority"))
    selection = Selection(current_user, criteria, form.selection.data or "", chosen)
    return form, criteria, selection


def composer(form, criteria, selection, status=200, partial="send_email/_composer.html"):
    """The compose page (or, for htmx, the composer section or another ``partial``) with these values."""
    return render(
        "send_email/compose.html",
        partial,
        status=status,
        form=form,
        criteria=criteria,
        chosen=selection.chosen,
        results=candidates(current_user, criteria),
        modules=module_choices(),
        sent=sent_messages(current_user.authority),
    )


def check(form, selection) -> bool:
    """Validate the form and that a ticked selection is not empty."""
    valid = form.validate()
    if form.selection.data == CHOSEN and not selection.chosen:
        form.selection.errors = [*form.selection.errors, _("Tick at least one authority in the list.")]
        valid = False
    return valid


@bp.route("/", methods=["GET", "POST"])
@login_required
def compose():
    """GET: a new message (default: the authorities I manage). POST: criteria, paging, preview."""
    policy.require(policy.may_send_email(current_user))
    form, criteria, selection = read_request()
    if request.method == "POST" and request.form.get("action") == "preview":
        if not check(form, selection):
            return composer(form, criteria, selection, status=422)
        summary = summarize(selection, form.audience.data)
        if summary.recipients == 0:
            return nobody(form, criteria, selection)
        return preview(form, criteria, selection, summary)
    return composer(form, criteria, selection)


@bp.post("/authorities")
@login_required
def authorities():
    """The list of matching authorities (active search and paging inside the composer)."""
    policy.require(policy.may_send_email(current_user))
    form, criteria, selection = read_request()
    return composer(form, criteria, selection, partial="send_email/_authorities.html")


def nobody(form, criteria, selection):
    """No recipient in the selection: say so beside the choice of authorities."""
    form.selection.errors = [*form.selection.errors, _("No one would receive this message: choose other authorities.")]
    return composer(form, criteria, selection, status=422)


def preview(form, criteria, selection, summary, status=200, changed=False):
    """The preview (R-6.1): the numbers of recipients and authorities, and the message."""
    return render(
        "send_email/preview.html",
        "send_email/_preview.html",
        status=status,
        form=form,
        criteria=criteria,
        chosen=selection.chosen,
        summary=summary,
        changed=changed,
    )


@bp.post("/send")
@login_required
def send():
    policy.require(policy.may_send_email(current_user))
    form, criteria, selection = read_request()
    if not check(form, selection):
        return composer(form, criteria, selection, status=422)
    expected = request.form.get("expected_recipients", "")
    summary = summarize(selection, form.audience.data)
    if summary.recipients == 0:
        return nobody(form, criteria, selection)
    if expected != str(summary.recipients):
        # The authorities or their users changed since the preview: show the new numbers.
        return preview(form, criteria, selection, summary, status=422, changed=True)
    with acting(form, fallback="message") as outcome:
        sent = send_message(
            current_user, selection, audience=form.audience.data, subject=form.subject.data, message=form.message.data
        )
    if not outcome.done:
        return composer(form, criteria, selection, status=422)
    flash(
        _(
            "The message has been sent. Recipients: %(recipients)d; authorities: %(authorities)d.",
            recipients=sent.recipients,
            authorities=sent.authorities,
        ),
        "success",
    )
    return redirect_to(url_for("send_email.compose"))

"""CSV exports of "Managed authorities" (the search, all pages) and of an authority's users
(tab Users): the same policy as the screens, streamed (``imi_web.exports``)."""

from collections import defaultdict

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import login_required

from .. import policy
from ..authority_search import STREAM_BATCH, Criteria, managed_search
from ..exports import criteria_args, csv_response, export_filename
from ..extensions import db
from ..i18n import current_language
from ..models import Module, ModuleRight, User
from ..models.people import user_module_right
from ..security_events import EXPORTED_AUTHORITIES, EXPORTED_USERS
from ..templating import history_value
from . import bp
from .loading import load_authority


@bp.get("/export.csv")
@login_required
def export():
    user = policy.authorized_user(policy.may_search_managed)
    criteria = Criteria.from_args(request.args)
    header = [_("Official name"), _("Informal name"), _("City"), _("Status")]

    def rows():
        labels = {}
        for row in managed_search(user, criteria).hits():
            status = row.status.value
            if status not in labels:
                labels[status] = history_value(status)
            yield [row.official_name, row.informal_name, row.city, labels[status]]

    return csv_response(
        export_filename("managed-authorities"), header, rows, what=EXPORTED_AUTHORITIES, criteria=criteria_args()
    )


_RIGHTS = (
    sa.select(user_module_right.c.user_id, Module.code, ModuleRight.name_lv, ModuleRight.name_en)
    .join(ModuleRight, ModuleRight.id == user_module_right.c.right_id)
    .join(Module, Module.id == ModuleRight.module_id)
    .where(user_module_right.c.user_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(Module.code, ModuleRight.id)
)


@bp.get("/<int:authority_id>/users/export.csv")
@login_required
def export_users(authority_id):
    authority = load_authority(authority_id)  # 404, and 403 unless the tab Users may be seen
    policy.require(policy.may_manage_users(policy.acting_user(), authority))
    lang = current_language()
    header = [
        _("First name"), _("Surname"), _("Username"), _("E-mail"), _("Administrator rights"), _("User status"),
        _("Password status"), _("Second factor"), _("User rights"),
    ]
    statuses = {"active": pgettext("user status", "active"), "new": pgettext("user status", "new")}
    second_factor = {True: _("Set"), False: _("Not set")}

    def rows():
        users = db.session.scalars(
            sa.select(User)
            .where(User.authority_id == authority.id)
            .order_by(User.surname, User.first_name, User.id)
            .execution_options(yield_per=STREAM_BATCH)
        )
        connection = db.session.connection()
        for batch in users.partitions():
            rights = defaultdict(lambda: defaultdict(list))
            for user_id, code, name_lv, name_en in connection.execute(_RIGHTS, {"ids": [u.id for u in batch]}):
                rights[user_id][code].append(name_lv if lang == "lv" else name_en)
            for user in batch:
                yield [
                    user.first_name,
                    user.surname,
                    user.username,
                    user.email,
                    history_value(user.is_admin),
                    statuses[user.status.value],
                    history_value(user.password_status().value),
                    second_factor[user.has_second_factor],
                    "; ".join(f"{code}: {', '.join(names)}" for code, names in rights[user.id].items()),
                ]

    return csv_response(
        export_filename(f"users-{authority.id}"),
        header,
        rows,
        what=EXPORTED_USERS,
        criteria={"authority_id": authority.id},
    )

"""Loading what the authority views act on: 404 for what is not there or out of sight, 403
for what may be seen but not changed (policy), and the choices several areas' forms offer."""

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from wtforms import SelectChoice

from .. import policy
from ..extensions import db
from ..i18n import current_language as language
from ..models import Authority, ClassificationEntry, ClassificationList, ModuleAccess


# Built once: ``session.get`` builds its statement anew on every call, which costs more than running it.
_AUTHORITY = sa.select(Authority).where(Authority.id == sa.bindparam("id"))


def load_authority(authority_id: int) -> Authority:
    user = policy.acting_user()
    # The user's own authority came with the user (load_user): no query for it.
    if user.authority_id == authority_id:
        authority = user.authority
    else:
        authority = db.session.scalar(_AUTHORITY, {"id": authority_id})
    if authority is None:
        abort(404)
    policy.require_visible(policy.may_view_authority(user, authority))
    return authority


def load_access(authority_id: int, access_id: int) -> ModuleAccess:
    authority = load_authority(authority_id)
    access = db.get_or_404(ModuleAccess, access_id)
    if access.authority_id != authority.id:
        abort(404)
    policy.require(policy.may_manage_module(current_user, authority, access.module))
    return access


_GENERAL_CLASSIFICATION = (
    sa.select(ClassificationEntry.id, ClassificationEntry.name_lv, ClassificationEntry.name_en)
    .join(ClassificationList)
    .where(ClassificationList.module_id.is_(None))
    .order_by(ClassificationList.code, ClassificationEntry.position)
)


def general_classification_choices(lang: str | None = None) -> list[tuple[int, str]]:
    lang = lang or language()
    entries = db.session.connection().execute(_GENERAL_CLASSIFICATION)
    return [SelectChoice(id_, name_lv if lang == "lv" else name_en) for id_, name_lv, name_en in entries]

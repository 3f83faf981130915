"""Loading what the authority views act on: 404 for what is not there or out of sight, 403
for what may be seen but not changed (policy)."""

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from .. import policy
from ..extensions import db
from ..models import Authority, ModuleAccess


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

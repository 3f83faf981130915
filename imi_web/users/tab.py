"""Tab "Users" of an authority (R-3.1): what it shows, registered with the authority's tabs."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import policy
from ..authorities.tabs import tab
from ..extensions import db
from ..models import Authority, ModuleRight, User


@tab("users")
def users_context(authority: Authority, context: dict) -> dict:
    """The authority's users with their rights, and whether the acting user may manage them."""
    return {
        "may_manage_users": policy.may_manage_users(policy.acting_user(), authority),
        "users": db.session.scalars(
            sa.select(User)
            .where(User.authority_id == authority.id)
            .options(selectinload(User.module_rights).joinedload(ModuleRight.module))
            .order_by(User.surname, User.first_name)
        ).all(),
    }

"""The loading step of a view: the object its URL names, or 404 — for one that is not there as
for one out of the user's sight (``policy.require_visible``; recorded as a refusal)."""

from flask_login import current_user

from . import policy
from .extensions import db


def load_visible(model, object_id: int, may):
    """``model`` number ``object_id`` if ``may(user, it)`` holds for the acting user."""
    found = db.get_or_404(model, object_id)
    policy.require_visible(may(current_user, found))
    return found

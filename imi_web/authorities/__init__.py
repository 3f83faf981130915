"""Menu "Administration": registering authorities and their details tabs (R-2.1, R-3.1, R-3.3)."""

from flask import Blueprint

bp = Blueprint("authorities", __name__, url_prefix="/authorities")

# What each tab shows registers itself with tabs.tab_context (tab "Users": imi_web.users.tab).
from . import module_tab, management, retirement  # noqa: E402,F401
from . import managed_routes  # noqa: E402,F401
from . import register_routes  # noqa: E402,F401
from . import page_routes  # noqa: E402,F401
from . import module_routes  # noqa: E402,F401
from . import management_routes  # noqa: E402,F401
from . import retirement_routes  # noqa: E402,F401
from . import export_routes  # noqa: E402,F401

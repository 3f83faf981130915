"""The users area reuses the authorities' world: a country, its NIMIC, modules, admins."""

from tests.authorities.conftest import login, world  # noqa: F401

""""Send e-mail" reuses the authorities' world: LV with its NIMIC, modules, an EE access manager."""

from tests.authorities.conftest import login, world  # noqa: F401


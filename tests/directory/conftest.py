"""The directory reuses the authorities' world: LV with its NIMIC, modules, an EE authority."""

from tests.authorities.conftest import login, world  # noqa: F401


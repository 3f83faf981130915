"""The access overview uses the authorities area's world: LV with its NIMIC, a partial
delegate (PQ only), modules PQ, SVC, ECOM and an Estonian access manager."""

from tests.authorities.conftest import login, world  # noqa: F401

"""Countries, modules, classification lists, authorities and their module access."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import (
    AccessStatus,
    AuthorityStatus,
    DelegationScope,
    ModuleRole,
    UTCDateTime,
    enum_column,
    fold,
    utcnow,
)


class Bilingual:
    """A row named in both languages (``name_lv``, ``name_en``; a country's are shorter)."""

    name_lv: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))

    def name(self, language: str) -> str:
        return self.name_lv if language == "lv" else self.name_en


class Country(Bilingual, db.Model):
    __tablename__ = "country"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(2), unique=True)  # ISO 3166-1 alpha-2
    name_lv: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100))

    def __repr__(self):
        return f"<Country {self.code}>"


class Module(Bilingual, db.Model):
    """A workflow module of IMI (R-4.1), introduced by the system operator."""

    __tablename__ = "module"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    is_information_request: Mapped[bool] = mapped_column(default=False)
    # Non-coordinators of this module must name a linked coordinator.
    linked_coordinator_required: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rights: Mapped[list["ModuleRight"]] = relationship(
        back_populates="module", order_by="ModuleRight.id", cascade="all, delete-orphan"
    )
    classification_list: Mapped["ClassificationList | None"] = relationship(
        back_populates="module", uselist=False
    )

    def __repr__(self):
        return f"<Module {self.code}>"


class ModuleRight(Bilingual, db.Model):
    """A user right within a module (e.g. "send requests", "reply to requests")."""

    __tablename__ = "module_right"
    __table_args__ = (sa.UniqueConstraint("module_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("module.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(40))

    module: Mapped[Module] = relationship(back_populates="rights")


class ClassificationList(Bilingual, db.Model):
    """A classification list: general fields of competence (no module) or a module's own."""

    __tablename__ = "classification_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    module_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("module.id", ondelete="CASCADE"), unique=True
    )

    module: Mapped[Module | None] = relationship(back_populates="classification_list")
    entries: Mapped[list["ClassificationEntry"]] = relationship(
        back_populates="classification_list",
        order_by="ClassificationEntry.position",
        cascade="all, delete-orphan",
    )


class ClassificationEntry(Bilingual, db.Model):
    __tablename__ = "classification_entry"
    __table_args__ = (sa.UniqueConstraint("list_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(
        sa.ForeignKey("classification_list.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)

    classification_list: Mapped[ClassificationList] = relationship(back_populates="entries")


# An authority's fields of competence.
authority_classification = sa.Table(
    "authority_classification",
    db.metadata,
    sa.Column("authority_id", sa.ForeignKey("authority.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "entry_id", sa.ForeignKey("classification_entry.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)

# The modules a partial access-manager delegation covers.
access_manager_module = sa.Table(
    "access_manager_module",
    db.metadata,
    sa.Column("authority_id", sa.ForeignKey("authority.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("module_id", sa.ForeignKey("module.id", ondelete="CASCADE"), primary_key=True),
)

# A module access's classification entries.
module_access_classification = sa.Table(
    "module_access_classification",
    db.metadata,
    sa.Column(
        "module_access_id", sa.ForeignKey("module_access.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "entry_id", sa.ForeignKey("classification_entry.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Authority(db.Model):
    """A competent authority registered in IMI."""

    __tablename__ = "authority"
    __table_args__ = (
        # one national IMI coordinator (NIMIC) per country.
        sa.Index(
            "uq_authority_nimic_per_country",
            "country_id",
            unique=True,
            sqlite_where=sa.text("is_nimic"),
            postgresql_where=sa.text("is_nimic"),
        ),
        # Searches of: within a country, by status, by folded name prefix and city.
        sa.Index("ix_authority_country_status_name", "country_id", "status", "search_name"),
        sa.Index("ix_authority_status_name", "status", "search_name"),
        sa.Index("ix_authority_country_city", "country_id", "search_city"),
        sa.Index("ix_authority_deactivated_at", "deactivated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country_id: Mapped[int] = mapped_column(sa.ForeignKey("country.id"))
    official_name: Mapped[str] = mapped_column(sa.String(300))
    informal_name: Mapped[str] = mapped_column(sa.String(300), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="", index=True)
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    street_address: Mapped[str] = mapped_column(sa.String(300), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(20), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    # Folded (lower-case, accent-free) copies for index-bound searching; kept in step below.
    search_name: Mapped[str] = mapped_column(sa.String(610), default="")
    search_city: Mapped[str] = mapped_column(sa.String(100), default="")

    status: Mapped[AuthorityStatus] = mapped_column(
        enum_column(AuthorityStatus), default=AuthorityStatus.ACTIVE
    )
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the access managers were reminded of the coming deletion; cleared on
    # reactivation, so each deactivation gets its reminder exactly once.
    deletion_reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When an invited registration was rejected; it is deleted REJECTED_REGISTRATION_DAYS later.
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_nimic: Mapped[bool] = mapped_column(default=False)
    # The access-manager capability: None = not an access manager; PARTIAL covers
    # the modules in access_manager_module.
    access_manager_scope: Mapped[DelegationScope | None] = mapped_column(
        enum_column(DelegationScope), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: a save based on a stale version is refused, never lost.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    country: Mapped[Country] = relationship()
    classification_entries: Mapped[list[ClassificationEntry]] = relationship(
        secondary=authority_classification, order_by=ClassificationEntry.position
    )
    delegated_modules: Mapped[list[Module]] = relationship(
        secondary=access_manager_module, order_by=Module.code
    )
    module_accesses: Mapped[list["ModuleAccess"]] = relationship(
        back_populates="authority",
        foreign_keys="ModuleAccess.authority_id",
        cascade="all, delete-orphan",
    )
    users: Mapped[list["User"]] = relationship(  # noqa: F821
        back_populates="authority", cascade="all, delete-orphan", order_by="User.surname"
    )

    @property
    def is_access_manager(self) -> bool:
        return self.is_nimic or self.access_manager_scope is not None

    @property
    def is_active(self) -> bool:
        return self.status == AuthorityStatus.ACTIVE

    def manages_module(self, module) -> bool:
        """Whether this access manager's delegation covers ``module`` (R-1.2): a Module or a
        row with its ``id``."""
        if self.is_nimic or self.access_manager_scope == DelegationScope.FULL:
            return True
        if self.access_manager_scope == DelegationScope.PARTIAL:
            return any(delegated.id == module.id for delegated in self.delegated_modules)
        return False

    def __repr__(self):
        return f"<Authority {self.id} {self.official_name!r}>"


@sa.event.listens_for(Authority, "before_insert")
@sa.event.listens_for(Authority, "before_update")
def _fold_search_columns(mapper, connection, authority):
    authority.search_name = fold(f"{authority.official_name} {authority.informal_name or ''}").strip()
    authority.search_city = fold(authority.city)


class AccessManagerLink(db.Model):
    """``manager`` is an access manager of ``managed`` (R-2.1.6, R-3.5)."""

    __tablename__ = "access_manager_link"
    __table_args__ = (
        sa.UniqueConstraint("managed_authority_id", "manager_authority_id"),
        # "Only my authorities" starts from the manager's side.
        sa.Index("ix_access_manager_link_manager", "manager_authority_id", "managed_authority_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    managed_authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authority.id", ondelete="CASCADE"))
    manager_authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authority.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    managed: Mapped[Authority] = relationship(foreign_keys=[managed_authority_id])
    manager: Mapped[Authority] = relationship(foreign_keys=[manager_authority_id])


class ModuleAccess(db.Model):
    """An authority's access to a module (R-2.1.4, R-3.3, R-3.4)."""

    __tablename__ = "module_access"
    __table_args__ = (
        sa.UniqueConstraint("authority_id", "module_id"),
        # Directory and linked-coordinator choices: by module, role and status, in the
        # name order of the authorities ("PQ coordinators" a page at a time).
        sa.Index("ix_module_access_module_role_status_name", "module_id", "role", "status", "authority_name", "authority_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authority.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("module.id", ondelete="CASCADE"))
    role: Mapped[ModuleRole] = mapped_column(enum_column(ModuleRole))
    status: Mapped[AccessStatus] = mapped_column(enum_column(AccessStatus), default=AccessStatus.ACTIVE)
    # A copy of the authority's ``search_name``, the sort key of the index above; the events
    # below keep it in step.
    authority_name: Mapped[str] = mapped_column(sa.String(610), default="")
    linked_coordinator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("authority.id", ondelete="SET NULL"), index=True
    )
    # Information-request modules only (None elsewhere): approval process, allocation
    # procedure and the right to refuse requests.
    approval_required: Mapped[bool | None] = mapped_column()
    allocation_by_coordinator: Mapped[bool | None] = mapped_column()
    may_refuse_requests: Mapped[bool | None] = mapped_column()
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last change of the access (granted, its terms changed, suspended, restored).
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    authority: Mapped[Authority] = relationship(
        back_populates="module_accesses", foreign_keys=[authority_id]
    )
    module: Mapped[Module] = relationship()
    linked_coordinator: Mapped[Authority | None] = relationship(foreign_keys=[linked_coordinator_id])
    classification_entries: Mapped[list[ClassificationEntry]] = relationship(
        secondary=module_access_classification, order_by=ClassificationEntry.position
    )

    @property
    def is_active(self) -> bool:
        return self.status == AccessStatus.ACTIVE


@sa.event.listens_for(ModuleAccess, "before_insert")
def _copy_authority_name(mapper, connection, access):
    authority = access.__dict__.get("authority")  # not lazy-loaded during the flush
    name = authority.search_name if authority is not None else None
    if name is None:  # given by id only: the row is in the database already
        name = connection.scalar(sa.select(Authority.search_name).where(Authority.id == access.authority_id))
    access.authority_name = name or ""


@sa.event.listens_for(Authority, "after_update")
def _rename_in_module_accesses(mapper, connection, authority):
    if sa.inspect(authority).attrs.search_name.history.has_changes():
        connection.execute(
            sa.update(ModuleAccess.__table__)
            .where(ModuleAccess.__table__.c.authority_id == authority.id)
            .values(authority_name=authority.search_name)
        )

"""The demo data set (R-6.5): ``flask --app wsgi imi demo``.

The data (countries, modules, authorities, invitations, the printed logins, the names the other
users are made from) is ``demo.toml`` beside this module; this module reads it, plans the users
and creates the rows. Three countries, six modules, about fifty authorities (NIMICs, delegated
access managers, module coordinators, linked authorities, one deactivated, one awaiting
validation) and about 150 users in every user and password status.

Idempotent: every row is looked up by its natural key (country code, module code, list code,
country + official name of an authority, the pair of a module access or an access-manager link,
username, inviting authority + e-mail of an invitation) and created only when missing, so a
second run adds nothing and prints the same logins. The plan (names, usernames, statuses) is
built from the data file and fixed seeds, never from what the database holds.

Argon2 is deliberately slow, so every demo user shares one hash of the demo password (and one
of the temporary password), computed at most once per run and only when a user is created.
No mail is queued: the demo passwords are printed on the operator's console instead.
"""

import hashlib
import random
import secrets
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources

import sqlalchemy as sa
from flask import current_app

from . import history
from .extensions import db
from .models import (
    AccessManagerLink,
    AccessStatus,
    Authority,
    AuthorityStatus,
    ClassificationEntry,
    ClassificationList,
    Country,
    DelegationScope,
    Invitation,
    InvitationStatus,
    Module,
    ModuleAccess,
    ModuleRole,
    PasswordHistory,
    PasswordStatus,
    User,
    fold,
    utcnow,
)
from .operator import add_module, get_or_create_country, new_classification_list
from .passwords import hash_password, verify_password
from .users.operations import grant_all_module_rights

# --------------------------------------------------------------------------- the data file


@dataclass(frozen=True)
class Access:
    module: str
    coordinator: bool = False
    linked: str | None = None  # key of the linked coordinator authority
    classes: tuple[str, ...] = ()
    suspended: bool = False


@dataclass(frozen=True)
class AuthoritySpec:
    key: str
    country: str
    official_name: str
    informal_name: str
    city: str
    street_address: str
    postal_code: str
    domain: str
    fields: tuple[str, ...]
    level: str
    managers: tuple[str, ...]  # keys of its access managers; the first registered it
    accesses: tuple[Access, ...]
    users: int = 3
    nimic: bool = False
    scope: DelegationScope | None = None
    delegated: tuple[str, ...] = ()
    status: AuthorityStatus = AuthorityStatus.ACTIVE

    @classmethod
    def read(cls, entry: dict) -> "AuthoritySpec":
        """One ``[[authorities]]`` table; an unknown field fails here rather than being ignored."""
        entry = dict(entry)
        coordinates = [Access(code, coordinator=True) for code in entry.pop("coordinator_of", ())]
        members = [
            Access(**{**access, "classes": tuple(access.get("classes", ()))}) for access in entry.pop("member_of", ())
        ]
        scope = entry.pop("scope", None)
        spec = cls(
            fields=tuple(entry.pop("fields")),
            managers=tuple(entry.pop("managers", ())),
            accesses=(*coordinates, *members),
            scope=DelegationScope(scope) if scope else None,
            delegated=tuple(entry.pop("delegated_modules", ())),
            status=AuthorityStatus(entry.pop("status", AuthorityStatus.ACTIVE.value)),
            **entry,
        )
        if not spec.domain.endswith(".example"):  # RFC 2606: .example never delivers
            raise ValueError(f"demo.toml: the domain of {spec.key!r} must end in .example")
        return spec


@dataclass(frozen=True)
class DemoLogin:
    username: str
    authority: str
    first_name: str
    surname: str
    is_admin: bool
    shows: str  # what the login shows off; "{authority}" is replaced by its name
    temporary: bool = False


def _read_data() -> dict:
    return tomllib.loads(resources.files(__package__).joinpath("demo.toml").read_text(encoding="utf-8"))


_DATA = _read_data()
DEMO_PASSWORD = _DATA["passwords"]["demo"]
DEMO_TEMPORARY_PASSWORD = _DATA["passwords"]["temporary"]
COUNTRIES = [(c["code"], c["name_lv"], c["name_en"]) for c in _DATA["countries"]]
GENERAL_LISTS = _DATA["general_lists"]
MODULES = _DATA["modules"]
AUTHORITIES = [AuthoritySpec.read(entry) for entry in _DATA["authorities"]]
INVITATIONS = _DATA["invitations"]
DEMO_LOGINS = [DemoLogin(**entry) for entry in _DATA["logins"]]
# country code → (male first names, female first names, (male, female) surnames)
NAMES = {code: (names["male"], names["female"], names["surnames"]) for code, names in _DATA["names"].items()}
# country code → (country code, landline prefix, mobile prefix, digits of a national number)
PHONES = {code: (p["code"], p["landline"], p["mobile"], p["digits"]) for code, p in _DATA["phones"].items()}

# --------------------------------------------------------------------------- people

# User and password status combinations, dealt in this proportion.
VALID, TEMPORARY, RESET, EXPIRED, BLOCKED, BLOCKED_NEW, UNVALIDATED = (
    "valid", "temporary", "reset", "expired", "blocked", "blocked_new", "unvalidated",
)
ALTERNATIVE = ".demo"  # suffix of a planned username that is taken by a non-demo user
PROFILE_DECK = [VALID] * 12 + [TEMPORARY] * 3 + [RESET, EXPIRED, EXPIRED, BLOCKED, BLOCKED_NEW]


@dataclass(frozen=True)
class UserSpec:
    username: str
    authority: str
    first_name: str
    surname: str
    email: str
    phone: str
    language: str
    is_admin: bool
    profile: str
    login: DemoLogin | None = None


def _ascii(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalnum())


def _phone(rng: random.Random, country: str, mobile: bool) -> str:
    code, landline, cell, length = PHONES[country]
    prefix = cell if mobile else landline
    number = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix)))
    return f"{code} {number}"


def plan_users() -> list[UserSpec]:
    """Every demo user, decided from fixed seeds only (the same list on every run)."""
    rng = random.Random("imi-demo-users")
    taken = {login.username for login in DEMO_LOGINS}
    generated = sum(
        spec.users - sum(1 for d in DEMO_LOGINS if d.authority == spec.key)
        for spec in AUTHORITIES
        if spec.status != AuthorityStatus.AWAITING_VALIDATION
    )
    profiles = [PROFILE_DECK[i % len(PROFILE_DECK)] for i in range(generated)]
    rng.shuffle(profiles)
    plan = []
    for spec in AUTHORITIES:
        emails = set()

        def email_for(first, surname):
            local = f"{_ascii(first)}.{_ascii(surname)}"
            candidate, n = local, 2
            while candidate in emails:
                candidate, n = f"{local}{n}", n + 1
            emails.add(candidate)
            return f"{candidate}@{spec.domain}"

        logins = sorted((d for d in DEMO_LOGINS if d.authority == spec.key), key=lambda d: not d.is_admin)
        for login in logins:
            plan.append(
                UserSpec(
                    username=login.username,
                    authority=spec.key,
                    first_name=login.first_name,
                    surname=login.surname,
                    email=email_for(login.first_name, login.surname),
                    phone=_phone(rng, spec.country, True),
                    language="lv",
                    is_admin=login.is_admin,
                    profile=TEMPORARY if login.temporary else VALID,
                    login=login,
                )
            )
        admins_needed = (0 if any(d.is_admin for d in logins) else 1) + (1 if spec.users >= 5 else 0)
        males, females, surnames = NAMES[spec.country]
        for i in range(spec.users - len(logins)):
            female = rng.random() < 0.55
            first = rng.choice(females if female else males)
            surname = rng.choice(surnames)[1 if female else 0]
            base = (_ascii(first)[:1] + _ascii(surname))[:28]
            username, n = base, 2
            while username in taken:
                username, n = f"{base}{n}", n + 1
            taken.add(username)
            if spec.status == AuthorityStatus.AWAITING_VALIDATION:
                profile = UNVALIDATED
            else:
                profile = profiles.pop()
            plan.append(
                UserSpec(
                    username=username,
                    authority=spec.key,
                    first_name=first,
                    surname=surname,
                    email=email_for(first, surname),
                    phone=_phone(rng, spec.country, True),
                    language=("lv" if rng.random() < 0.85 else "en") if spec.country == "LV" else "en",
                    is_admin=i < admins_needed,
                    profile=profile,
                )
            )
    return plan


# --------------------------------------------------------------------------- loading


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(days=rng.uniform(low, high))


class _Loader:
    def __init__(self):
        self.now = utcnow()
        self.config = current_app.config
        self.created = Counter()
        self._hashes = {}
        self.countries: dict[str, Country] = {}
        self.modules: dict[str, Module] = {}
        self.general: dict[str, dict[str, ClassificationEntry]] = {}
        self.module_entries: dict[str, dict[str, ClassificationEntry]] = {}
        self.authorities: dict[str, Authority] = {}
        self.new_authorities: list[tuple[AuthoritySpec, Authority]] = []
        self.accesses: dict[tuple[int, int], ModuleAccess] = {}
        self.users: dict[str, User] = {}
        self.first_admins: dict[str, User] = {}  # authority key → its first administrator
        self.new_usernames: set[str] = set()

    def password_hash(self, password: str) -> str:
        if password not in self._hashes:
            self._hashes[password] = hash_password(password)
        return self._hashes[password]

    # -- reference data

    def load_countries(self):
        existing = set(db.session.scalars(sa.select(Country.code)))
        for code, name_lv, name_en in COUNTRIES:
            self.countries[code] = get_or_create_country(code, name_lv, name_en)
            if code not in existing:
                self.created["countries"] += 1

    def load_general_lists(self):
        for spec in GENERAL_LISTS:
            code = spec["code"]
            clist = db.session.scalar(sa.select(ClassificationList).where(ClassificationList.code == code))
            if clist is None:
                clist = new_classification_list(**spec)
                self.created["classification lists"] += 1
            self.general[code] = {entry.code: entry for entry in clist.entries}

    def load_modules(self):
        existing = {m.code: m for m in db.session.scalars(sa.select(Module))}
        for spec in MODULES:
            module = existing.get(spec["code"])
            if module is None:
                module = add_module(**spec)
                self.created["modules"] += 1
            self.modules[module.code] = module
            clist = module.classification_list
            self.module_entries[module.code] = {e.code: e for e in clist.entries} if clist else {}

    # -- authorities

    def load_authorities(self):
        country_ids = [c.id for c in self.countries.values()]
        existing = db.session.scalars(sa.select(Authority).where(Authority.country_id.in_(country_ids))).all()
        by_name = {(a.country_id, a.official_name): a for a in existing}
        nimics = {a.country_id: a for a in existing if a.is_nimic}
        for spec in AUTHORITIES:
            country = self.countries[spec.country]
            if spec.nimic:
                authority = nimics.get(country.id)  # e.g. made by `imi bootstrap` before
            else:
                authority = by_name.get((country.id, spec.official_name))
            if authority is None:
                authority = self.new_authority(spec, country)
                self.new_authorities.append((spec, authority))
                self.created["authorities"] += 1
            self.authorities[spec.key] = authority
        db.session.flush()

    def new_authority(self, spec: AuthoritySpec, country: Country) -> Authority:
        rng = random.Random(f"authority:{spec.key}")
        created_at = self.now - _days(rng, 400, 2500)
        codes = [("FIELDS", code) for code in spec.fields] + [("LEVEL", spec.level)]
        entries = [self.general[lst][code] for lst, code in codes if code in self.general[lst]]
        if spec.status == AuthorityStatus.AWAITING_VALIDATION:
            created_at = self.now - _days(rng, 1, 4)
        authority = Authority(
            country=country,
            official_name=spec.official_name,
            informal_name=spec.informal_name,
            phone=_phone(rng, spec.country, False),
            email=f"info@{spec.domain}",
            website=f"https://www.{spec.domain}",
            street_address=spec.street_address,
            postal_code=spec.postal_code,
            city=spec.city,
            status=spec.status,
            is_nimic=spec.nimic,
            access_manager_scope=spec.scope,
            delegated_modules=[self.modules[code] for code in spec.delegated],
            classification_entries=entries,
            created_at=created_at,
            updated_at=created_at,
        )
        if spec.status == AuthorityStatus.DEACTIVATED:
            authority.deactivated_at = self.now - _days(rng, 58, 62)
            authority.updated_at = authority.deactivated_at
        db.session.add(authority)
        return authority

    # -- module access

    def load_accesses(self):
        ids = [a.id for a in self.authorities.values()]
        for access in db.session.scalars(sa.select(ModuleAccess).where(ModuleAccess.authority_id.in_(ids))):
            self.accesses[(access.authority_id, access.module_id)] = access
        # Coordinators first: linked authorities name them.
        for coordinators in (True, False):
            for spec in AUTHORITIES:
                for access_spec in spec.accesses:
                    if access_spec.coordinator == coordinators:
                        self.load_access(spec, access_spec)
        db.session.flush()

    def active_coordinators(self, module: Module, country_id: int) -> list[Authority]:
        return [
            access.authority
            for access in self.accesses.values()
            if access.module is module
            and access.role == ModuleRole.COORDINATOR
            and access.status == AccessStatus.ACTIVE
            and access.authority.country_id == country_id
            and access.authority.is_active
        ]

    def load_access(self, spec: AuthoritySpec, access_spec: Access):
        authority = self.authorities[spec.key]
        module = self.modules[access_spec.module]
        if (authority.id, module.id) in self.accesses:
            return
        rng = random.Random(f"access:{spec.key}:{module.code}")
        linked = None
        if not access_spec.coordinator:
            candidates = self.active_coordinators(module, authority.country_id)
            wanted = self.authorities.get(access_spec.linked) if access_spec.linked else None
            if wanted in candidates:
                linked = wanted
            elif module.linked_coordinator_required:
                if not candidates:
                    return  # nothing valid to link to (pre-existing data differs): leave it out
                linked = candidates[0]
        entries_by_code = self.module_entries[module.code]
        if access_spec.coordinator:
            entries = list(entries_by_code.values())
        else:
            entries = [entries_by_code[c] for c in access_spec.classes if c in entries_by_code]
        granted_at = min(authority.created_at + _days(rng, 1, 90), self.now - timedelta(days=1))
        access = ModuleAccess(
            authority=authority,
            module=module,
            role=ModuleRole.COORDINATOR if access_spec.coordinator else ModuleRole.AUTHORITY,
            status=AccessStatus.ACTIVE,
            linked_coordinator=linked,
            classification_entries=entries,
            granted_at=granted_at,
        )
        if module.is_information_request:
            if access_spec.coordinator:
                access.approval_required, access.allocation_by_coordinator = False, False
                access.may_refuse_requests = True
            else:
                access.approval_required = rng.random() < 0.4
                access.allocation_by_coordinator = rng.random() < 0.5
                access.may_refuse_requests = rng.random() < 0.3
        if access_spec.suspended or spec.status == AuthorityStatus.DEACTIVATED:
            access.status = AccessStatus.SUSPENDED
            if authority.deactivated_at is not None:
                access.suspended_at = authority.deactivated_at - _days(rng, 1, 5)
            else:
                access.suspended_at = self.now - _days(rng, 15, 25)
        db.session.add(access)
        self.accesses[(authority.id, module.id)] = access
        self.created["module accesses"] += 1

    # -- access managers

    def load_manager_links(self):
        ids = [a.id for a in self.authorities.values()]
        existing = set(
            db.session.execute(
                sa.select(AccessManagerLink.managed_authority_id, AccessManagerLink.manager_authority_id).where(
                    AccessManagerLink.managed_authority_id.in_(ids)
                )
            ).all()
        )
        for spec in AUTHORITIES:
            managed = self.authorities[spec.key]
            for i, key in enumerate(spec.managers):
                manager = self.authorities[key]
                if (managed.id, manager.id) in existing:
                    continue
                created_at = managed.created_at + timedelta(days=30 * i)
                db.session.add(AccessManagerLink(managed=managed, manager=manager, created_at=created_at))
                existing.add((managed.id, manager.id))
                self.created["access-manager links"] += 1

    # -- users

    def load_users(self, plan: list[UserSpec]):
        # A planned username someone else holds already (say the operator's bootstrap admin)
        # falls back to "<username>.demo"; both are looked up, so a rerun finds the same user.
        names = [spec.username for spec in plan] + [spec.username + ALTERNATIVE for spec in plan]
        existing = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(names)))}
        for spec in plan:
            authority = self.authorities[spec.authority]
            for username in (spec.username, spec.username + ALTERNATIVE):
                user = existing.get(username)
                if user is None:
                    user = existing[username] = self.new_user(spec, username)
                    self.new_usernames.add(spec.username)
                    self.created["users"] += 1
                    break
                if user.authority_id == authority.id:
                    break
            else:
                continue  # both names belong to others: leave this user out
            self.users[spec.username] = user
            if spec.is_admin:
                self.first_admins.setdefault(spec.authority, user)
        db.session.flush()

    def active_modules(self, authority: Authority) -> list[Module]:
        modules = [
            access.module
            for (authority_id, _), access in self.accesses.items()
            if authority_id == authority.id and access.is_active
        ]
        return sorted(modules, key=lambda m: m.code)

    def new_user(self, spec: UserSpec, username: str) -> User:
        rng = random.Random(f"user:{spec.username}")
        authority = self.authorities[spec.authority]
        now, max_age = self.now, self.config["PASSWORD_MAX_AGE_DAYS"]
        user = User(
            authority=authority,
            first_name=spec.first_name,
            surname=spec.surname,
            email=spec.email,
            phone=spec.phone,
            language=spec.language,
            username=username,
            is_admin=spec.is_admin,
            failed_login_count=0,
        )
        set_at = last_login = blocked_at = None
        if spec.login is not None:  # the printed logins: fresh and predictable
            set_at = now - timedelta(days=1 if spec.login.temporary else 10)
            last_login = None if spec.login.temporary else now - timedelta(days=1)
            created_at = set_at - timedelta(days=0 if spec.login.temporary else 400)
        elif spec.profile == VALID:
            set_at = now - _days(rng, 3, max_age - 10)
            last_login = now - _days(rng, 0, min(20, (now - set_at).days))
            created_at = set_at - _days(rng, 0, 700)
        elif spec.profile == TEMPORARY:
            created_at = set_at = now - _days(rng, 1, 20)
        elif spec.profile == RESET:
            set_at = now - _days(rng, 1, 5)
            last_login = set_at - _days(rng, 1, 60)
            created_at = last_login - _days(rng, 30, 700)
        elif spec.profile == EXPIRED:
            set_at = now - timedelta(days=max_age) - _days(rng, 1, 120)
            last_login = set_at + _days(rng, 1, max_age - 1)
            created_at = set_at - _days(rng, 0, 700)
        elif spec.profile == BLOCKED:
            set_at = now - _days(rng, 40, max_age - 10)
            blocked_at = now - _days(rng, 1, 10)
            last_login = set_at + _days(rng, 0, (blocked_at - set_at).days - 1)
            created_at = set_at - _days(rng, 0, 700)
        elif spec.profile == BLOCKED_NEW:
            created_at = set_at = now - _days(rng, 3, 30)
            blocked_at = set_at + _days(rng, 0.1, 2)
        else:  # UNVALIDATED: the first user of a registration awaiting validation, no password yet
            created_at = authority.created_at
        floor = authority.created_at + timedelta(hours=1)
        if created_at < floor:
            created_at = floor if set_at is None or floor <= set_at else set_at
        is_temporary = spec.profile in (TEMPORARY, RESET, BLOCKED_NEW, UNVALIDATED)
        if spec.profile == UNVALIDATED:
            user.password_hash = None
        else:
            user.password_hash = self.password_hash(DEMO_TEMPORARY_PASSWORD if is_temporary else DEMO_PASSWORD)
        user.password_is_temporary = is_temporary
        user.password_set_at = set_at
        user.password_blocked_at = blocked_at
        user.last_login_at = last_login
        user.created_at = created_at
        if blocked_at is not None:
            user.failed_login_count = self.config["PASSWORD_MAX_FAILED_ATTEMPTS"]
        if spec.profile in (VALID, EXPIRED, BLOCKED, RESET):
            user.password_history = [
                PasswordHistory(
                    password_hash=self.password_hash(DEMO_PASSWORD),
                    created_at=last_login - timedelta(days=1) if is_temporary else set_at,
                )
            ]
        # Rights: administrators hold every right of the active modules.
        modules = self.active_modules(authority)
        if spec.is_admin:
            for module in modules:
                grant_all_module_rights(user, module)
        else:
            rights = [right for module in modules for right in module.rights if rng.random() < 0.55]
            if not rights:  # everyone may do something in an active module
                rights = [right for module in modules for right in module.rights][:1]
            user.module_rights = rights
        db.session.add(user)
        return user

    # -- invitations

    def load_invitations(self):
        for spec in INVITATIONS:
            inviter_key, email, authority_key = spec["inviting_authority"], spec["email"], spec.get("authority")
            inviter = self.authorities[inviter_key]
            exists = db.session.scalar(
                sa.select(Invitation.id).where(
                    Invitation.inviting_authority_id == inviter.id, Invitation.email == email
                )
            )
            if exists is not None:
                continue
            rng = random.Random(f"invitation:{email}")
            inviter_admin = self.first_admins.get(inviter_key)
            registered = self.authorities.get(authority_key) if authority_key else None
            created_at = (registered.created_at if registered else self.now) - _days(rng, 2, 8)
            db.session.add(
                Invitation(
                    country=inviter.country,
                    inviting_authority=inviter,
                    invited_by_user_id=inviter_admin.id if inviter_admin else None,
                    email=email,
                    suggested_name=spec["suggested_name"],
                    language="lv",
                    message=spec["message"],
                    # Only a hash is stored; this link's token is thrown away (the demo prints none).
                    token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
                    status=InvitationStatus(spec["status"]),
                    created_at=created_at,
                    expires_at=created_at + timedelta(days=30),
                    used_at=registered.created_at if registered else None,
                    authority=registered,
                )
            )
            self.created["invitations"] += 1

    # -- history

    def record_history(self):
        for spec, authority in self.new_authorities:
            actor = self.first_admins.get(spec.managers[0]) if spec.managers else None
            action = "authority.bootstrapped" if spec.nimic else "authority.registered"
            entry = history.record(
                action,
                actor=actor,
                authority=authority,
                subject=authority,
                subject_label=authority.official_name,
                changes={
                    "official_name": [None, authority.official_name],
                    "informal_name": [None, authority.informal_name],
                    "city": [None, authority.city],
                    "email": [None, authority.email],
                    "status": [None, spec.status.value if spec.status != AuthorityStatus.DEACTIVATED else "active"],
                },
            )
            entry.created_at = authority.created_at
            for access in authority.module_accesses:
                if access.status == AccessStatus.SUSPENDED:
                    entry = history.record(
                        "module_access.suspended",
                        actor=actor,
                        authority=authority,
                        subject=access,
                        subject_label=access.module.name_en,
                        changes={"status": ["active", "suspended"]},
                    )
                    entry.created_at = access.suspended_at
            if authority.deactivated_at is not None:
                entry = history.record(
                    "authority.deactivated",
                    actor=actor,
                    authority=authority,
                    subject=authority,
                    subject_label=authority.official_name,
                    changes={"status": ["active", "deactivated"]},
                )
                entry.created_at = authority.deactivated_at

    # -- the console lines

    def login_lines(self) -> list[str]:
        verified = {}
        lines = []
        for login in DEMO_LOGINS:
            user = self.users.get(login.username)
            if user is None:
                continue
            password = DEMO_TEMPORARY_PASSWORD if login.temporary else DEMO_PASSWORD
            key = (user.password_hash, password)
            if login.username in self.new_usernames:
                verified[key] = True  # just set: no need for a slow check
            elif key not in verified:
                verified[key] = bool(user.password_hash) and verify_password(user.password_hash, password)
            shown = password if verified[key] else "(changed since loaded)"
            note = ""
            status = user.password_status()
            if status in (PasswordStatus.BLOCKED, PasswordStatus.EXPIRED):
                note = f" [password {status.value}]"
            shows = login.shows.format(authority=user.authority.official_name)
            lines.append(f"  {user.username:<13} {shown:<17} {shows}{note}")
        return lines


def load_demo() -> list[str]:
    """Load the demo data set (idempotent), commit, and return the lines to print."""
    loader = _Loader()
    plan = plan_users()
    with db.session.no_autoflush:
        loader.load_countries()
        loader.load_general_lists()
        loader.load_modules()
        loader.load_authorities()
        loader.load_accesses()
        loader.load_manager_links()
        loader.load_users(plan)
        loader.load_invitations()
        db.session.flush()
        loader.record_history()
    created = loader.created
    if created:
        history.record(
            "demo.loaded",
            actor=None,
            authority=None,
            subject_label="demo data",
            changes={kind: [None, count] for kind, count in sorted(created.items())},
        )
    db.session.commit()

    if created:
        summary = ", ".join(f"{count} {kind}" for kind, count in sorted(created.items()))
        head = f"Demo data loaded: {summary}."
    else:
        head = "Demo data already present: nothing was added."
    return [
        head,
        "Demo logins (username, password, what it shows):",
        *loader.login_lines(),
        f"Every other demo user has the password {DEMO_PASSWORD}, or {DEMO_TEMPORARY_PASSWORD} when it is "
        "temporary; some are blocked or expired on purpose.",
        "Demo data only: never load it into a production database.",
    ]

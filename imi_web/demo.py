"""The demo data set (R-6.5): ``flask --app wsgi imi demo``.

Three countries (Latvia in detail, Lithuania and Estonia in brief), six IMI-like modules with
their user rights and classification lists, two general classification lists, about fifty
authorities (NIMICs, delegated access managers, module coordinators, linked authorities, one
deactivated, one awaiting validation) and about 150 users in every user and password status.

Idempotent: every row is looked up by its natural key (country code, module code, list code,
country + official name of an authority, the pair of a module access or an access-manager link,
username, inviting authority + e-mail of an invitation) and created only when missing, so a
second run adds nothing and prints the same logins. The plan (names, usernames, statuses) is
built from fixed seeds, never from what the database holds.

Argon2 is deliberately slow, so every demo user shares one hash of the demo password (and one
of the temporary password), computed at most once per run and only when a user is created.
No mail is queued: the demo passwords are printed on the operator's console instead.
"""

import hashlib
import random
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

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
from .operator import add_module, get_or_create_country
from .passwords import hash_password, verify_password
from .users.operations import grant_all_module_rights

DEMO_PASSWORD = "Demo-Parole-2026"
DEMO_TEMPORARY_PASSWORD = "Pagaidu-Parole-7"

# --------------------------------------------------------------------------- reference data

COUNTRIES = [
    ("LV", "Latvija", "Latvia"),
    ("LT", "Lietuva", "Lithuania"),
    ("EE", "Igaunija", "Estonia"),
]

# General classification lists (fields of competence), not tied to a module.
GENERAL_LISTS = [
    (
        "FIELDS",
        "Kompetences jomas",
        "Fields of competence",
        [
            ("HEALTH", "Veselības aprūpe", "Healthcare"),
            ("EDU", "Izglītība", "Education"),
            ("CONSTR", "Būvniecība", "Construction"),
            ("TRANSPORT", "Transports", "Transport"),
            ("TRADE", "Tirdzniecība un uzņēmējdarbība", "Trade and business"),
            ("CULTURE", "Kultūra", "Culture"),
            ("EMPLOY", "Nodarbinātība un darba tiesības", "Employment and labour law"),
            ("SOCIAL", "Sociālā aizsardzība", "Social protection"),
            ("ENV", "Vide", "Environment"),
            ("AGRI", "Lauksaimniecība un pārtika", "Agriculture and food"),
            ("CONSUMER", "Patērētāju tiesību aizsardzība", "Consumer protection"),
            ("JUSTICE", "Tieslietas", "Justice"),
            ("TAX", "Nodokļi un muita", "Taxation and customs"),
            ("FIN", "Finanšu pakalpojumi", "Financial services"),
            ("DATA", "Datu aizsardzība", "Data protection"),
            ("HOME", "Iekšlietas", "Home affairs"),
            ("REGION", "Reģionālā attīstība", "Regional development"),
        ],
    ),
    (
        "LEVEL",
        "Pārvaldes līmenis",
        "Level of administration",
        [
            ("NAT", "Valsts pārvalde", "Central government"),
            ("REG", "Reģionālā pārvalde", "Regional administration"),
            ("LOC", "Pašvaldība", "Local government"),
            ("PROF", "Profesionālā organizācija", "Professional body"),
        ],
    ),
]

_SEND = ("SEND", "Sūtīt informācijas pieprasījumus", "Send information requests")
_REPLY = ("REPLY", "Atbildēt uz pieprasījumiem", "Reply to requests")
_VIEW = ("VIEW", "Skatīt pieprasījumus", "View requests")
_ALERT = ("ALERT", "Sūtīt brīdinājumus", "Send alerts")

MODULES = [
    dict(
        code="PQ",
        name_lv="Profesionālās kvalifikācijas",
        name_en="Professional qualifications",
        information_request=True,
        linked_coordinator_required=True,
        rights=[_SEND, _REPLY, _VIEW, _ALERT],
        classification=[
            ("DOC", "Ārsti", "Doctors of medicine"),
            ("NURSE", "Vispārējās aprūpes māsas", "Nurses responsible for general care"),
            ("DENT", "Zobārsti", "Dental practitioners"),
            ("PHARM", "Farmaceiti", "Pharmacists"),
            ("MIDW", "Vecmātes", "Midwives"),
            ("VET", "Veterinārārsti", "Veterinary surgeons"),
            ("ARCH", "Arhitekti", "Architects"),
            ("ENG", "Būvinženieri", "Civil engineers"),
            ("TEACH", "Skolotāji", "Teachers"),
            ("LAW", "Advokāti", "Lawyers"),
        ],
    ),
    dict(
        code="SVC",
        name_lv="Pakalpojumi",
        name_en="Services",
        information_request=True,
        linked_coordinator_required=False,
        rights=[_SEND, _REPLY, _ALERT],
        classification=[
            ("CONSTR", "Būvniecības pakalpojumi", "Construction services"),
            ("TOUR", "Tūrisma pakalpojumi", "Tourism services"),
            ("RETAIL", "Mazumtirdzniecība", "Retail trade"),
            ("ESTATE", "Nekustamā īpašuma pakalpojumi", "Real estate services"),
            ("CRAFT", "Amatniecība", "Crafts"),
            ("LEGAL", "Juridiskie pakalpojumi", "Legal services"),
            ("FOOD", "Ēdināšanas pakalpojumi", "Catering services"),
        ],
    ),
    dict(
        code="PWD",
        name_lv="Darbinieku norīkošana darbā",
        name_en="Posting of workers",
        information_request=True,
        linked_coordinator_required=True,
        rights=[
            _SEND,
            _REPLY,
            ("PENALTY", "Pieprasīt administratīvo sodu izpildi", "Request the enforcement of penalties"),
            _VIEW,
        ],
        classification=[
            ("COND", "Darba un nodarbinātības noteikumi", "Terms and conditions of employment"),
            ("PAY", "Darba samaksa", "Remuneration"),
            ("SAFETY", "Darba aizsardzība", "Health and safety at work"),
            ("SOCSEC", "Sociālā nodrošināšana", "Social security"),
            ("PEN", "Administratīvie sodi", "Administrative penalties and fines"),
        ],
    ),
    dict(
        code="ECOM",
        name_lv="Elektroniskā komercija",
        name_en="E-commerce",
        information_request=False,
        linked_coordinator_required=False,
        rights=[
            ("NOTIFY", "Sūtīt paziņojumus par pasākumiem", "Send notifications of measures"),
            ("VIEW", "Skatīt paziņojumus", "View notifications"),
        ],
        classification=[
            ("ONLINE", "Tiešsaistes tirdzniecība", "Online retail"),
            ("ISS", "Informācijas sabiedrības pakalpojumi", "Information society services"),
            ("CONS", "Patērētāju aizsardzība tiešsaistē", "Online consumer protection"),
            ("ADV", "Komerciālie paziņojumi", "Commercial communications"),
        ],
    ),
    dict(
        code="CG",
        name_lv="Kultūras priekšmeti",
        name_en="Cultural goods",
        information_request=False,
        linked_coordinator_required=True,
        rights=[
            ("NOTIFY", "Paziņot par atrastiem priekšmetiem", "Notify found objects"),
            ("SEARCH", "Sūtīt meklēšanas pieprasījumus", "Send search requests"),
            ("VIEW", "Skatīt lietas", "View cases"),
        ],
        classification=[
            ("ARCHAEO", "Arheoloģiskie priekšmeti", "Archaeological objects"),
            ("ART", "Mākslas darbi", "Works of art"),
            ("ARCHIVE", "Arhīvi", "Archives"),
            ("MANUS", "Manuskripti un inkunābulas", "Manuscripts and incunabula"),
            ("BOOKS", "Grāmatas", "Books"),
        ],
    ),
    dict(
        code="SOLVIT",
        name_lv="SOLVIT problēmu risināšana",
        name_en="SOLVIT problem solving",
        information_request=False,
        linked_coordinator_required=False,
        rights=[
            ("CASE", "Reģistrēt lietas", "Register cases"),
            ("HANDLE", "Risināt lietas", "Handle cases"),
            ("VIEW", "Skatīt lietas", "View cases"),
        ],
        classification=[
            ("SOCSEC", "Sociālā nodrošināšana", "Social security"),
            ("PQ", "Profesionālo kvalifikāciju atzīšana", "Recognition of professional qualifications"),
            ("VEHICLE", "Transportlīdzekļu reģistrācija", "Vehicle registration"),
            ("TAX", "Nodokļi", "Taxation"),
            ("RESID", "Uzturēšanās tiesības", "Residence rights"),
            ("MARKET", "Preču brīva aprite", "Free movement of goods"),
        ],
    ),
]


@dataclass(frozen=True)
class Access:
    module: str
    coordinator: bool = False
    linked: str | None = None  # key of the linked coordinator authority
    classes: tuple[str, ...] = ()
    suspended: bool = False


def coord(module: str) -> Access:
    return Access(module, coordinator=True)


def member(module: str, linked: str | None = None, *classes: str, suspended: bool = False) -> Access:
    return Access(module, linked=linked, classes=classes, suspended=suspended)


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


def _a(key, country, official, informal, city, street, postal, slug, fields, level, managers, *accesses, **kw):
    return AuthoritySpec(
        key=key,
        country=country,
        official_name=official,
        informal_name=informal,
        city=city,
        street_address=street,
        postal_code=postal,
        domain=f"{slug}.{country.lower()}.example",  # RFC 2606: .example never delivers
        fields=tuple(fields.split()),
        level=level,
        managers=tuple(managers.split()),
        accesses=accesses,
        **kw,
    )


FULL, PARTIAL = DelegationScope.FULL, DelegationScope.PARTIAL

# fmt: off
AUTHORITIES = [
    # --- Latvia: the NIMIC and the delegated access managers
    _a("em", "LV", "Ekonomikas ministrija", "EM — IMI nacionālais koordinators", "Rīga",
       "Brīvības iela 55", "LV-1519", "em", "TRADE REGION", "NAT", "",
       coord("SVC"), coord("SOLVIT"), member("ECOM", "ptac", "ISS"), users=6, nimic=True, scope=FULL),
    _a("ptac", "LV", "Patērētāju tiesību aizsardzības centrs", "PTAC", "Rīga",
       "Brīvības iela 55", "LV-1010", "ptac", "CONSUMER TRADE", "NAT", "em",
       coord("SVC"), coord("ECOM"), member("SOLVIT", "em", "MARKET"), users=5, scope=FULL),
    _a("aic", "LV", "Akadēmiskās informācijas centrs", "AIC — profesionālās kvalifikācijas atzīšana", "Rīga",
       "Dzirnavu iela 16", "LV-1010", "aic", "EDU", "NAT", "em",
       coord("PQ"), users=4, scope=PARTIAL, delegated=("PQ",)),
    _a("vdi", "LV", "Valsts darba inspekcija", "VDI", "Rīga",
       "Kr. Valdemāra iela 38 k-1", "LV-1010", "vdi", "EMPLOY", "NAT", "em",
       coord("PWD"), member("SOLVIT", "em", "SOCSEC"), users=4, scope=PARTIAL, delegated=("PWD",)),
    # --- Latvia: other module coordinators
    _a("vi", "LV", "Veselības inspekcija", "VI — ārstniecības personu uzraudzība", "Rīga",
       "Klijānu iela 7", "LV-1012", "vi", "HEALTH", "NAT", "em aic",
       coord("PQ"), users=4),
    _a("nkmp", "LV", "Nacionālā kultūras mantojuma pārvalde", "NKMP — kultūras priekšmetu aprite", "Rīga",
       "Mazā Pils iela 19", "LV-1050", "nkmp", "CULTURE", "NAT", "em",
       coord("CG")),
    # --- Latvia: professional qualifications (linked to AIC or the Health Inspectorate)
    _a("lab", "LV", "Latvijas Ārstu biedrība", "Ārstu sertifikācijas centrs", "Rīga",
       "Skolas iela 3", "LV-1010", "arstubiedriba", "HEALTH", "PROF", "aic em",
       member("PQ", "vi", "DOC")),
    _a("lma", "LV", "Latvijas Māsu asociācija", "Māsu un vecmāšu reģistrs", "Rīga",
       "Baznīcas iela 31", "LV-1010", "masuasociacija", "HEALTH", "PROF", "aic",
       member("PQ", "vi", "NURSE", "MIDW")),
    _a("lza", "LV", "Latvijas Zobārstu asociācija", "Zobārstu sertifikācija", "Rīga",
       "Dzirciema iela 20", "LV-1007", "zobarsti", "HEALTH", "PROF", "aic",
       member("PQ", "vi", "DENT"), users=2),
    _a("lfb", "LV", "Latvijas Farmaceitu biedrība", "Farmaceitu sertifikācija", "Rīga",
       "Raiņa bulvāris 16", "LV-1050", "farmaceiti", "HEALTH", "PROF", "aic",
       member("PQ", "vi", "PHARM"), users=2),
    _a("las", "LV", "Latvijas Arhitektu savienība", "Arhitektu sertifikācijas centrs", "Rīga",
       "Torņa iela 11", "LV-1050", "arhitekti", "CONSTR", "PROF", "aic",
       member("PQ", "aic", "ARCH")),
    _a("pvd", "LV", "Pārtikas un veterinārais dienests", "PVD", "Rīga",
       "Peldu iela 30", "LV-1050", "pvd", "AGRI HEALTH", "NAT", "em aic",
       member("PQ", "aic", "VET"), member("SVC", None, "FOOD"), users=4),
    _a("ikvd", "LV", "Izglītības kvalitātes valsts dienests", "IKVD", "Rīga",
       "Vaļņu iela 2", "LV-1050", "ikvd", "EDU", "NAT", "aic",
       member("PQ", "aic", "TEACH")),
    _a("lzap", "LV", "Latvijas Zvērinātu advokātu padome", "Latvijas advokatūra", "Rīga",
       "Antonijas iela 8", "LV-1010", "advokatura", "JUSTICE", "PROF", "aic ptac",
       member("PQ", "aic", "LAW"), member("SVC", "ptac", "LEGAL")),
    _a("jip", "LV", "Jelgavas valstspilsētas pašvaldības iestāde \"Jelgavas izglītības pārvalde\"",
       "Jelgavas izglītības pārvalde", "Jelgava",
       "Svētes iela 22", "LV-3001", "izglitiba.jelgava", "EDU", "LOC", "aic",
       member("PQ", "aic", "TEACH"), users=2),
    _a("lbs", "LV", "Latvijas Būvinženieru savienība", "Būvinženieru sertifikācija", "Rīga",
       "Meistaru iela 10", "LV-1050", "buvinzenieri", "CONSTR", "PROF", "aic",
       member("PQ", "aic", "ENG"), users=2),
    _a("vvc", "LV", "Valsts valodas centrs", "VVC — valsts valodas prasmes pārbaude", "Rīga",
       "Lāčplēša iela 35", "LV-1011", "vvc", "EDU", "NAT", "aic",
       member("PQ", "aic", "TEACH", "DOC", "NURSE"), users=2),
    # --- Latvia: posting of workers (linked to the State Labour Inspectorate)
    _a("vid", "LV", "Valsts ieņēmumu dienests", "VID", "Rīga",
       "Talejas iela 1", "LV-1978", "vid", "TAX FIN", "NAT", "em vdi",
       member("PWD", "vdi", "SOCSEC", "PEN"), member("SOLVIT", "em", "TAX"), users=5),
    _a("vsaa", "LV", "Valsts sociālās apdrošināšanas aģentūra", "VSAA", "Rīga",
       "Lāčplēša iela 70a", "LV-1011", "vsaa", "SOCIAL", "NAT", "vdi em",
       member("PWD", "vdi", "SOCSEC"), member("SOLVIT", None, "SOCSEC"), users=4),
    _a("nva", "LV", "Nodarbinātības valsts aģentūra", "NVA", "Rīga",
       "Kr. Valdemāra iela 38", "LV-1010", "nva", "EMPLOY", "NAT", "vdi",
       member("PWD", "vdi", "COND", "PAY")),
    _a("kvdi", "LV", "Valsts darba inspekcijas Kurzemes reģionālā valsts darba inspekcija",
       "VDI Kurzemes reģions", "Liepāja",
       "Rožu iela 24", "LV-3401", "kurzeme.vdi", "EMPLOY", "REG", "vdi",
       member("PWD", "vdi", "SAFETY"), users=2),
    _a("lvdi", "LV", "Valsts darba inspekcijas Latgales reģionālā valsts darba inspekcija",
       "VDI Latgales reģions", "Daugavpils",
       "Saules iela 5a", "LV-5401", "latgale.vdi", "EMPLOY", "REG", "vdi",
       member("PWD", "vdi", "SAFETY", "COND"), users=2),
    _a("pmlp", "LV", "Pilsonības un migrācijas lietu pārvalde", "PMLP", "Rīga",
       "Čiekurkalna 1. līnija 1 k-3", "LV-1026", "pmlp", "HOME", "NAT", "em vdi",
       member("PWD", "vdi", "COND"), member("SOLVIT", "em", "RESID")),
    # --- Latvia: cultural goods (linked to the National Heritage Board)
    _a("lna", "LV", "Latvijas Nacionālais arhīvs", "Nacionālais arhīvs", "Rīga",
       "Bezdelīgu iela 1", "LV-1048", "arhivs", "CULTURE", "NAT", "em",
       member("CG", "nkmp", "ARCHIVE", "MANUS")),
    _a("lnmm", "LV", "Latvijas Nacionālais mākslas muzejs", "LNMM", "Rīga",
       "Jaņa Rozentāla laukums 1", "LV-1010", "lnmm", "CULTURE", "NAT", "em",
       member("CG", "nkmp", "ART")),
    _a("lnb", "LV", "Latvijas Nacionālā bibliotēka", "Gaismas pils", "Rīga",
       "Mūkusalas iela 3", "LV-1423", "lnb", "CULTURE", "NAT", "em",
       member("CG", "nkmp", "BOOKS", "MANUS")),
    _a("vp", "LV", "Valsts policija", "VP — kultūras priekšmetu zādzības", "Rīga",
       "Čiekurkalna 1. līnija 1", "LV-1026", "vp", "HOME JUSTICE", "NAT", "em",
       member("CG", "nkmp", "ART", "ARCHAEO"), users=4),
    _a("vm", "LV", "Ventspils muzejs", "Livonijas ordeņa pils", "Ventspils",
       "Jāņa iela 17", "LV-3601", "muzejs.ventspils", "CULTURE", "LOC", "em",
       member("CG", "nkmp", "ARCHAEO"), users=2),
    # --- Latvia: services, e-commerce, SOLVIT
    _a("bvkb", "LV", "Būvniecības valsts kontroles birojs", "BVKB", "Rīga",
       "Smilšu iela 1", "LV-1050", "bvkb", "CONSTR", "NAT", "ptac em",
       member("SVC", "ptac", "CONSTR")),
    _a("rpad", "LV", "Rīgas valstspilsētas pašvaldības Pilsētas attīstības departaments",
       "Rīgas pilsētas attīstības departaments", "Rīga",
       "Amatu iela 4", "LV-1050", "attistiba.riga", "CONSTR REGION", "LOC", "ptac",
       member("SVC", None, "CONSTR", "ESTATE"), users=4),
    _a("jbv", "LV", "Jelgavas valstspilsētas pašvaldības būvvalde", "Jelgavas būvvalde", "Jelgava",
       "Lielā iela 11", "LV-3001", "buvvalde.jelgava", "CONSTR", "LOC", "ptac",
       member("SVC", "ptac", "CONSTR"), member("SOLVIT", "em", "MARKET"), users=4),
    _a("lbv", "LV", "Liepājas valstspilsētas pašvaldības būvvalde", "Liepājas būvvalde", "Liepāja",
       "Rožu iela 6", "LV-3401", "buvvalde.liepaja", "CONSTR", "LOC", "ptac",
       member("SVC", None, "CONSTR"), users=4),
    _a("dbv", "LV", "Daugavpils valstspilsētas pašvaldības būvvalde", "Daugavpils būvvalde", "Daugavpils",
       "Kr. Valdemāra iela 1", "LV-5401", "buvvalde.daugavpils", "CONSTR", "LOC", "ptac em",
       member("SVC", "ptac", "CONSTR")),
    _a("vnp", "LV", "Valmieras novada pašvaldība", "Valmieras novada pašvaldība", "Valmiera",
       "Lāčplēša iela 2", "LV-4201", "valmiera", "REGION TRADE", "LOC", "ptac",
       member("SVC", None, "TOUR", "CRAFT"), member("SOLVIT", "em", "RESID")),
    _a("vsp", "LV", "Ventspils valstspilsētas pašvaldība", "Ventspils pilsētas dome", "Ventspils",
       "Jūras iela 36", "LV-3601", "ventspils", "REGION", "LOC", "ptac",
       member("SVC", None, "TOUR", "FOOD")),
    _a("liaa", "LV", "Latvijas Investīciju un attīstības aģentūra", "LIAA", "Rīga",
       "Brīvības iela 54", "LV-1011", "liaa", "TRADE REGION", "NAT", "em ptac",
       member("SVC", "ptac", "TOUR", "RETAIL"), member("ECOM", "ptac", "ONLINE"), users=4),
    _a("ur", "LV", "Uzņēmumu reģistrs", "UR", "Rīga",
       "Pērses iela 2", "LV-1011", "ur", "TRADE JUSTICE", "NAT", "ptac",
       member("SVC", None, "RETAIL"), member("ECOM", "ptac", "ISS")),
    _a("dvi", "LV", "Datu valsts inspekcija", "DVI", "Rīga",
       "Elijas iela 17", "LV-1050", "dvi", "DATA", "NAT", "ptac",
       member("ECOM", "ptac", "ISS", "ADV")),
    _a("kp", "LV", "Konkurences padome", "KP", "Rīga",
       "Krišjāņa Barona iela 32", "LV-1011", "kp", "TRADE CONSUMER", "NAT", "ptac em",
       member("SVC", "ptac", "RETAIL"), member("ECOM", "ptac", "ADV", suspended=True)),
    _a("sprk", "LV", "Sabiedrisko pakalpojumu regulēšanas komisija", "SPRK", "Rīga",
       "Unijas iela 45", "LV-1039", "sprk", "CONSUMER ENV", "NAT", "ptac",
       member("ECOM", "ptac", "CONS"), member("SVC", None, "RETAIL")),
    _a("csdd", "LV", "Ceļu satiksmes drošības direkcija", "CSDD", "Rīga",
       "Miera iela 1", "LV-1001", "csdd", "TRANSPORT", "NAT", "em",
       member("SOLVIT", "em", "VEHICLE")),
    _a("vvd", "LV", "Valsts vides dienests", "VVD", "Rīga",
       "Rūpniecības iela 23", "LV-1045", "vvd", "ENV", "NAT", "ptac",
       member("SVC", "ptac", "CONSTR"), users=2),
    # --- Latvia: a deactivated authority and one awaiting validation
    _a("rbv", "LV", "Rīgas pilsētas būvvalde", "Rīgas būvvalde (reorganizēta)", "Rīga",
       "Amatu iela 4", "LV-1050", "buvvalde.riga", "CONSTR", "LOC", "ptac em",
       member("SVC", "ptac", "CONSTR", "ESTATE"), member("SOLVIT", "em", "MARKET"),
       users=2, status=AuthorityStatus.DEACTIVATED),
    _a("lip", "LV", "Liepājas valstspilsētas pašvaldības izglītības pārvalde", "Liepājas izglītības pārvalde",
       "Liepāja", "Dzirnavu iela 4", "LV-3401", "izglitiba.liepaja", "EDU", "LOC", "",
       users=1, status=AuthorityStatus.AWAITING_VALIDATION),
    # --- Lithuania
    _a("lt-nimic", "LT", "Lietuvos Respublikos ekonomikos ir inovacijų ministerija",
       "EIMIN — IMI nacionalinis koordinatorius", "Vilnius",
       "Gedimino pr. 38", "LT-01104", "eimin", "TRADE", "NAT", "",
       coord("SVC"), coord("SOLVIT"), nimic=True, scope=FULL),
    _a("lt-skvc", "LT", "Studijų kokybės vertinimo centras", "SKVC", "Vilnius",
       "A. Goštauto g. 12", "LT-01108", "skvc", "EDU", "NAT", "lt-nimic",
       coord("PQ")),
    _a("lt-vdi", "LT", "Valstybinė darbo inspekcija", "VDI", "Vilnius",
       "Algirdo g. 19", "LT-03607", "vdi", "EMPLOY", "NAT", "lt-nimic",
       coord("PWD"), users=2),
    _a("lt-kaunas", "LT", "Kauno miesto savivaldybės administracija", "Kauno savivaldybė", "Kaunas",
       "Laisvės al. 96", "LT-44251", "kaunas", "REGION", "LOC", "lt-nimic",
       member("PQ", "lt-skvc", "TEACH"), member("SVC", "lt-nimic", "CONSTR")),
    # --- Estonia
    _a("ee-nimic", "EE", "Majandus- ja Kommunikatsiooniministeerium", "MKM — IMI riiklik koordinaator",
       "Tallinn", "Suur-Ameerika 1", "10122", "mkm", "TRADE", "NAT", "",
       coord("SVC"), coord("SOLVIT"), nimic=True, scope=FULL),
    _a("ee-harno", "EE", "Haridus- ja Noorteamet", "Harno", "Tartu",
       "Lõkke 4", "50103", "harno", "EDU", "NAT", "ee-nimic",
       coord("PQ"), users=2),
    _a("ee-ti", "EE", "Tööinspektsioon", "TI", "Tallinn",
       "Gonsiori 29", "10147", "ti", "EMPLOY", "NAT", "ee-nimic",
       coord("PWD"), users=2),
    _a("ee-ttja", "EE", "Tarbijakaitse ja Tehnilise Järelevalve Amet", "TTJA", "Tallinn",
       "Endla 10a", "10122", "ttja", "CONSUMER", "NAT", "ee-nimic",
       coord("ECOM"), member("SVC", "ee-nimic", "RETAIL")),
]
# fmt: on

# The invitations: (inviting authority, e-mail, suggested name, status, registered authority key).
INVITATIONS = [
    ("aic", "info@izglitiba.liepaja.lv.example", "Liepājas izglītības pārvalde", InvitationStatus.REGISTERED, "lip"),
    ("em", "dome@ogre.lv.example", "Ogres novada pašvaldība", InvitationStatus.SENT, None),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    authority: str
    first_name: str
    surname: str
    is_admin: bool
    temporary: bool
    shows: str  # what the login shows off; "{authority}" is replaced by its name


DEMO_LOGINS = [
    DemoLogin("demo.nimic", "em", "Jānis", "Bērziņš", True, False,
              "NIMIC administrator of {authority} (LV): access manager of every Latvian authority, "
              "delegates access management, validates registrations"),
    DemoLogin("demo.manager", "ptac", "Līga", "Ozoliņa", True, False,
              "administrator of {authority}, a full delegated access manager (all modules)"),
    DemoLogin("demo.partial", "aic", "Inese", "Kalniņa", True, False,
              "administrator of {authority}, a partial delegated access manager (module PQ only); "
              "has a registration awaiting validation"),
    DemoLogin("demo.admin", "jbv", "Māris", "Liepiņš", True, False,
              "administrator of {authority}: edits its data, registers users, resets passwords"),
    DemoLogin("demo.user", "jbv", "Dace", "Krūmiņa", False, False,
              "user of {authority} without administrator rights: own module rights, directory"),
    DemoLogin("demo.new", "lbv", "Kārlis", "Vītols", False, True,
              "new user of {authority} with a temporary password: must change it at the first login"),
]

# --------------------------------------------------------------------------- people

LV_MALE = ["Jānis", "Andris", "Māris", "Edgars", "Kārlis", "Artūrs", "Raimonds", "Guntis", "Aivars",
           "Mārtiņš", "Juris", "Oskars", "Roberts", "Ģirts", "Uldis", "Valdis", "Krišjānis", "Dāvis",
           "Ēriks", "Normunds", "Pēteris", "Gatis", "Rihards", "Aleksandrs"]
LV_FEMALE = ["Līga", "Inese", "Ilze", "Anna", "Kristīne", "Laura", "Dace", "Sanita", "Ieva", "Zane",
             "Agnese", "Baiba", "Elīna", "Dzintra", "Gunta", "Māra", "Solvita", "Santa", "Evija",
             "Ināra", "Anete", "Ērika", "Rūta", "Lelde"]
# (male form, female form)
LV_SURNAMES = [("Bērziņš", "Bērziņa"), ("Ozoliņš", "Ozoliņa"), ("Kalniņš", "Kalniņa"), ("Liepiņš", "Liepiņa"),
               ("Jansons", "Jansone"), ("Krūmiņš", "Krūmiņa"), ("Zariņš", "Zariņa"), ("Kļaviņš", "Kļaviņa"),
               ("Vītols", "Vītola"), ("Balodis", "Balode"), ("Eglītis", "Eglīte"), ("Pētersons", "Pētersone"),
               ("Vanags", "Vanaga"), ("Lācis", "Lāce"), ("Siliņš", "Siliņa"), ("Kārkliņš", "Kārkliņa"),
               ("Sproģis", "Sproģe"), ("Grīnbergs", "Grīnberga"), ("Feldmanis", "Feldmane"),
               ("Celmiņš", "Celmiņa"), ("Muižnieks", "Muižniece"), ("Strazds", "Strazda"),
               ("Dombrovskis", "Dombrovska"), ("Auziņš", "Auziņa"), ("Ziemelis", "Ziemele"),
               ("Lapiņš", "Lapiņa"), ("Kalējs", "Kalēja"), ("Skujiņš", "Skujiņa"), ("Vilks", "Vilka"),
               ("Priede", "Priede"), ("Zvaigzne", "Zvaigzne"), ("Ābele", "Ābele"), ("Šmits", "Šmite"),
               ("Ķēniņš", "Ķēniņa"), ("Circenis", "Circene"), ("Rozenbergs", "Rozenberga")]
LT_MALE = ["Jonas", "Tomas", "Mantas", "Lukas", "Darius", "Andrius", "Paulius", "Vytautas"]
LT_FEMALE = ["Rūta", "Aistė", "Ieva", "Eglė", "Gintarė", "Laura", "Jurgita", "Dalia"]
LT_SURNAMES = [("Kazlauskas", "Kazlauskienė"), ("Petrauskas", "Petrauskienė"), ("Jankauskas", "Jankauskienė"),
               ("Stankevičius", "Stankevičienė"), ("Vasiliauskas", "Vasiliauskienė"),
               ("Žukauskas", "Žukauskienė"), ("Butkus", "Butkienė"), ("Paulauskas", "Paulauskienė")]
EE_MALE = ["Mart", "Andres", "Kristjan", "Tõnu", "Rasmus", "Priit", "Jaan", "Indrek"]
EE_FEMALE = ["Kadri", "Liis", "Triin", "Maarja", "Kertu", "Piret", "Anu", "Helen"]
EE_SURNAMES = [(s, s) for s in ["Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel"]]
NAMES = {
    "LV": (LV_MALE, LV_FEMALE, LV_SURNAMES),
    "LT": (LT_MALE, LT_FEMALE, LT_SURNAMES),
    "EE": (EE_MALE, EE_FEMALE, EE_SURNAMES),
}
# (country code, landline prefix, mobile prefix, digits of a national number)
PHONES = {"LV": ("+371", "67", "2", 8), "LT": ("+370", "5", "6", 8), "EE": ("+372", "6", "5", 7)}

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
        for code, name_lv, name_en, entries in GENERAL_LISTS:
            clist = db.session.scalar(sa.select(ClassificationList).where(ClassificationList.code == code))
            if clist is None:
                clist = ClassificationList(
                    code=code,
                    name_lv=name_lv,
                    name_en=name_en,
                    entries=[
                        ClassificationEntry(code=c, name_lv=lv, name_en=en, position=i)
                        for i, (c, lv, en) in enumerate(entries)
                    ],
                )
                db.session.add(clist)
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
        for inviter_key, email, suggested_name, status, authority_key in INVITATIONS:
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
                    suggested_name=suggested_name,
                    language="lv",
                    message="Lūdzam reģistrēt jūsu iestādi IMI sistēmā. / Please register your authority in IMI.",
                    # Only a hash is stored; this link's token is thrown away (the demo prints none).
                    token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
                    status=status,
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

"""Load a realistic, reproducible data set for benchmarks (issue 5, item 6).

    python bench/generate.py --url sqlite:////tmp/bench-1k.sqlite3 --authorities 1000 --users 10000
    python bench/generate.py --url postgresql+psycopg://postgres@127.0.0.1:5432/imi --authorities 100000 --users 1000000

The schema is made by the migrations (``flask db upgrade``); the rows are written with bulk
SQL through the raw DB-API driver (``executemany`` on SQLite, ``COPY`` on PostgreSQL) in
batches of 10k inside one transaction, so ORM defaults and events do NOT run: every NOT NULL
column is filled here, the folded search columns are computed with ``imi_web.models.fold``
and the SQLite FTS table is rebuilt at the end (``VACUUM ANALYZE`` on PostgreSQL).

The admin of the LV NIMIC is ``bench.admin`` / ``Bench-Parole-1`` (other NIMICs:
``bench.admin.<cc>``). Run it on an empty database.
"""

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

BATCH = 10_000
ADMIN = "bench.admin"
PASSWORD = "Bench-Parole-1"

# (code, name_lv, name_en, share of the authorities) — LV is the largest.
COUNTRIES = [
    ("LV", "Latvija", "Latvia", 0.55),
    ("LT", "Lietuva", "Lithuania", 0.15),
    ("EE", "Igaunija", "Estonia", 0.10),
    ("FI", "Somija", "Finland", 0.08),
    ("DE", "Vācija", "Germany", 0.07),
    ("PL", "Polija", "Poland", 0.05),
]
# (code, name_lv, name_en, share of authorities with access)
MODULES = [
    ("SVC", "Pakalpojumi", "Services", 0.40),
    ("PQ", "Profesionālās kvalifikācijas", "Professional qualifications", 0.25),
    ("PROD", "Preču drošums", "Product safety", 0.15),
    ("WKR", "Darba ņēmēju norīkošana", "Posting of workers", 0.10),
]
CITIES = {
    "LV": ["Rīga", "Jūrmala", "Daugavpils", "Liepāja", "Jelgava", "Ventspils", "Rēzekne", "Valmiera",
           "Jēkabpils", "Ogre", "Tukums", "Cēsis", "Kuldīga", "Sigulda", "Smiltene", "Līvāni"],
    "LT": ["Vilnius", "Kaunas", "Klaipėda", "Šiauliai", "Panevėžys", "Alytus"],
    "EE": ["Tallinn", "Tartu", "Pärnu", "Narva", "Viljandi"],
    "FI": ["Helsinki", "Espoo", "Tampere", "Turku", "Oulu", "Jyväskylä"],
    "DE": ["Berlin", "München", "Köln", "Düsseldorf", "Nürnberg", "Lübeck"],
    "PL": ["Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk"],
}
# Genitive place names for the LV names ("Rīgas pilsētas būvvalde").
LV_PLACES = ["Rīgas", "Jūrmalas", "Daugavpils", "Liepājas", "Jelgavas", "Ventspils", "Rēzeknes", "Valmieras",
             "Jēkabpils", "Ogres", "Tukuma", "Cēsu", "Kuldīgas", "Siguldas", "Smiltenes", "Līvānu",
             "Ādažu", "Ķekavas", "Mārupes", "Saulkrastu", "Gulbenes", "Krāslavas", "Preiļu", "Dobeles"]
LV_KINDS = ["pilsētas", "novada", "valstspilsētas", "apgabala", "reģionālā", "centrālā"]
LV_UNITS = ["būvvalde", "pašvaldība", "dienests", "inspekcija", "aģentūra", "dome", "sociālais dienests",
            "bāriņtiesa", "pašvaldības policija", "izglītības pārvalde", "veselības centrs",
            "dzimtsarakstu nodaļa", "muitas punkts", "vides pārvalde", "zemes dienests"]
LV_STATE = ["Valsts darba inspekcija", "Patērētāju tiesību aizsardzības centrs", "Veselības inspekcija",
            "Pārtikas un veterinārais dienests", "Būvniecības valsts kontroles birojs", "Valsts ieņēmumu dienests",
            "Izglītības kvalitātes valsts dienests", "Nodarbinātības valsts aģentūra", "Uzņēmumu reģistrs",
            "Sabiedrisko pakalpojumu regulēšanas komisija", "Latvijas Ārstu biedrība", "Zvērinātu advokātu padome"]
EN_UNITS = ["Building Authority", "Municipality", "Service", "Inspectorate", "Agency", "Council", "Social Service",
            "Orphan's Court", "Municipal Police", "Education Board", "Health Centre", "Registry Office",
            "Customs Point", "Environment Board", "Land Service"]
FOREIGN_UNITS = ["Agency", "Inspectorate", "Chamber", "Office", "Board", "Authority", "Ministry", "Registry"]
FOREIGN_TOPICS = ["Health", "Labour", "Trade", "Construction", "Consumer Protection", "Education", "Transport",
                  "Food Safety", "Environment", "Social Affairs", "Taxes", "Statistics"]
FIRST_NAMES = ["Jānis", "Anna", "Pēteris", "Līga", "Andris", "Inese", "Mārtiņš", "Ilze", "Kārlis", "Zane",
               "Edgars", "Ieva", "Gatis", "Dace", "Raimonds", "Sanita", "Aivars", "Kristīne", "Oskars", "Elīna"]
SURNAMES = ["Bērziņš", "Kalniņa", "Ozoliņš", "Jansone", "Liepiņš", "Krūmiņa", "Kļaviņš", "Zariņa", "Pētersons",
            "Vītola", "Eglītis", "Siliņa", "Balodis", "Lāce", "Grīnbergs", "Ābele", "Šmits", "Žagare"]


def utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc)


class Loader:
    """Bulk inserts through the raw driver, in batches, inside the caller's transaction."""

    def __init__(self, raw, dialect):
        self.raw = raw
        self.dialect = dialect
        self.cursor = raw.cursor()

    def value(self, v):
        if self.dialect == "sqlite":
            if isinstance(v, datetime):  # SQLAlchemy's SQLite DateTime storage format (naive UTC)
                return v.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
            if isinstance(v, bool):
                return int(v)
        return v

    def insert(self, table, columns, rows) -> int:
        count = 0
        batch = []

        def flush():
            if not batch:
                return
            if self.dialect == "sqlite":
                marks = ", ".join("?" for _ in columns)
                self.cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)
            else:
                with self.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            batch.clear()

        for row in rows:
            batch.append(tuple(self.value(v) for v in row) if self.dialect == "sqlite" else row)
            count += 1
            if len(batch) >= BATCH:
                flush()
        flush()
        return count


def authority_names(rng: random.Random, code: str, number: int) -> tuple[str, str, str]:
    """(official name, informal name, city) of an authority of country ``code``."""
    city = rng.choice(CITIES[code])
    if code == "LV":
        roll = rng.random()
        if roll < 0.08:
            official = rng.choice(LV_STATE) + f" {rng.choice(LV_PLACES)} nodaļa Nr. {number % 97 + 1}"
            informal = ""
        else:
            place, kind, unit_i = rng.choice(LV_PLACES), rng.choice(LV_KINDS), rng.randrange(len(LV_UNITS))
            official = f"{place} {kind} {LV_UNITS[unit_i]}"
            if roll < 0.6:
                official += f" Nr. {number % 500 + 1}"
            informal = f"{place.rstrip('s')} {EN_UNITS[unit_i]}" if rng.random() < 0.4 else ""
            if rng.random() < 0.6:
                city = CITIES["LV"][LV_PLACES.index(place)] if LV_PLACES.index(place) < len(CITIES["LV"]) else city
    else:
        official = f"{city} {rng.choice(FOREIGN_TOPICS)} {rng.choice(FOREIGN_UNITS)} {number % 300 + 1}"
        informal = ""
    return official, informal, city


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of an empty database")
    parser.add_argument("--authorities", type=int, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    import flask_migrate

    from imi_web import create_app
    from imi_web.extensions import db
    from imi_web.models import fold
    from imi_web.models.search_index import name_trigrams
    from imi_web.passwords import hash_password

    rng = random.Random(args.seed)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": "bench", "MAIL_DELIVERY_THREAD": False})
    started = time.perf_counter()
    timings = []

    def step(name, t0):
        timings.append((name, time.perf_counter() - t0))
        print(f"{name:<28} {timings[-1][1]:8.2f} s", flush=True)

    with app.app_context():
        t0 = time.perf_counter()
        flask_migrate.upgrade()
        step("schema (migrations)", t0)
        t0 = time.perf_counter()
        password_hash = hash_password(PASSWORD)
        step("one password hash", t0)

        engine = db.engine
        dialect = engine.dialect.name
        now = datetime.now(timezone.utc)
        with engine.begin() as connection:
            raw = connection.connection.driver_connection
            if dialect == "sqlite":
                raw.execute("PRAGMA foreign_keys=OFF")
            load = Loader(raw, dialect)

            t0 = time.perf_counter()
            load.insert("country", ["id", "code", "name_lv", "name_en"],
                        [(i + 1, c[0], c[1], c[2]) for i, c in enumerate(COUNTRIES)])
            load.insert("module", ["id", "code", "name_lv", "name_en", "is_information_request",
                                   "linked_coordinator_required", "created_at"],
                        [(i + 1, m[0], m[1], m[2], False, False, now) for i, m in enumerate(MODULES)])

            # Authorities: per country a contiguous id range, the first one is the NIMIC.
            n = max(args.authorities, len(COUNTRIES))
            shares = [int(n * c[3]) for c in COUNTRIES]
            shares[0] += n - sum(shares)
            country_of, ranges, next_id = [], [], 1
            for ci, share in enumerate(shares):
                ranges.append((next_id, next_id + share - 1))
                country_of.extend([ci] * share)
                next_id += share
            nimics = [lo for lo, _hi in ranges]
            status_of = {}
            search_names = []

            def authorities():
                for aid in range(1, n + 1):
                    ci = country_of[aid - 1]
                    code = COUNTRIES[ci][0]
                    nimic = aid in nimics
                    if nimic:
                        official, informal, city = f"{COUNTRIES[ci][1]} NIMIC — valsts IMI koordinators", "NIMIC", CITIES[code][0]
                        status = "active"
                    else:
                        official, informal, city = authority_names(rng, code, aid)
                        r = rng.random()
                        status = "active" if r < 0.90 else "deactivated" if r < 0.97 else "awaiting_validation"
                    status_of[aid] = status
                    search_names.append((aid, fold(f"{official} {informal}").strip()))
                    search_name = search_names[-1][1]
                    created = now - timedelta(days=rng.randrange(1, 3000))
                    yield (
                        aid, ci + 1, official, informal,
                        f"+371 6{rng.randrange(10**6, 10**7)}", f"info{aid}@iestade{aid % 1000}.example",
                        f"https://iestade{aid}.example", f"{rng.choice(['Brīvības', 'Elizabetes', 'Krišjāņa Valdemāra'])} iela {aid % 200 + 1}",
                        f"LV-{1000 + aid % 9000}", city,
                        search_name, fold(city),
                        status, now - timedelta(days=10) if status == "deactivated" else None,
                        nimic, None, created, created, 1,
                    )

            count = load.insert(
                "authority",
                ["id", "country_id", "official_name", "informal_name", "phone", "email", "website", "street_address",
                 "postal_code", "city", "search_name", "search_city", "status", "deactivated_at", "is_nimic",
                 "access_manager_scope", "created_at", "updated_at", "version"],
                authorities(),
            )
            step(f"authority ({count})", t0)

            t0 = time.perf_counter()
            count = load.insert(  # the name postings the model's events would have written
                "authority_name_trigram",
                ["trigram", "search_name", "authority_id"],
                ((t, name, aid) for aid, name in search_names for t in sorted(name_trigrams(name))),
            )
            step(f"authority_name_trigram ({count})", t0)

            t0 = time.perf_counter()

            def links():
                lid = 0
                for (lo, hi), nimic in zip(ranges, nimics):
                    for aid in range(lo + 1, hi + 1):
                        if rng.random() < 0.30:
                            lid += 1
                            yield (lid, aid, nimic, now)

            count = load.insert("access_manager_link",
                                ["id", "managed_authority_id", "manager_authority_id", "created_at"], links())
            step(f"access_manager_link ({count})", t0)

            t0 = time.perf_counter()

            def accesses():
                mid = 0
                for aid in range(1, n + 1):
                    for mi, module in enumerate(MODULES):
                        if aid in nimics or rng.random() < module[3]:
                            mid += 1
                            role = "coordinator" if aid in nimics or rng.random() < 0.05 else "authority"
                            status = "active" if rng.random() < 0.95 else "suspended"
                            yield (mid, aid, mi + 1, role, status, search_names[aid - 1][1], None, None, None, None, now,
                                   now if status == "suspended" else None, 1)

            count = load.insert(
                "module_access",
                ["id", "authority_id", "module_id", "role", "status", "authority_name", "linked_coordinator_id", "approval_required",
                 "allocation_by_coordinator", "may_refuse_requests", "granted_at", "suspended_at", "version"],
                accesses(),
            )
            step(f"module_access ({count})", t0)

            t0 = time.perf_counter()

            def users():
                uid = 0
                for ci, nimic in enumerate(nimics):
                    uid += 1
                    username = ADMIN if ci == 0 else f"{ADMIN}.{COUNTRIES[ci][0].lower()}"
                    yield (uid, nimic, "Bench", "Admin", f"{username}@bench.example", "", "lv", username,
                           fold("Admin Bench"), True, password_hash, False, now, 0, False, now)
                for _ in range(uid, max(args.users, uid)):
                    uid += 1
                    first, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                    yield (uid, rng.randrange(1, n + 1), first, surname, f"{fold(first)}.{fold(surname)}{uid}@example.lv",
                           "", "lv" if rng.random() < 0.8 else "en", f"user{uid}", fold(f"{surname} {first}"),
                           rng.random() < 0.1, password_hash, rng.random() < 0.2, now - timedelta(days=rng.randrange(0, 150)),
                           0, False, now)

            count = load.insert(
                "user_account",
                ["id", "authority_id", "first_name", "surname", "email", "phone", "language", "username", "search_name",
                 "is_admin", "password_hash", "password_is_temporary", "password_set_at", "failed_login_count",
                 "has_second_factor", "created_at"],
                users(),
            )
            step(f"user_account ({count})", t0)

            t0 = time.perf_counter()
            if dialect == "postgresql":
                # COPY with explicit ids leaves the sequences behind.
                for table in ("country", "module", "authority", "access_manager_link", "module_access", "user_account"):
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
            else:
                from imi_web.models.search_index import rebuild_search_index

                rebuild_search_index(connection)
            step("search index rebuild" if dialect == "sqlite" else "sequences", t0)

        t0 = time.perf_counter()
        if dialect == "postgresql":
            # VACUUM too: the steady state of a running database (visibility map set, so the
            # planner costs index-only scans as they are), and no autovacuum of the freshly
            # loaded tables competing for the CPU while the benchmark runs.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        else:
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        step("VACUUM ANALYZE" if dialect == "postgresql" else "ANALYZE", t0)
    print(f"{'total':<28} {time.perf_counter() - started:8.2f} s")


if __name__ == "__main__":
    main()

"""Likely duplicates of an authority about to be registered (R-2.0).

R-2.0: an authority is registered only once. Before registering, the system looks for
likely duplicates in the same country -- the same or a similar official (or informal) name,
the same e-mail address or the same website -- and shows them, so that the access manager
can open the existing authority instead.

Matching rules
--------------
Names are compared in a normalised form (:func:`normalise_name`): case, accents
(``ā`` → ``a``, ``š`` → ``s``), punctuation, quotes and extra whitespace are ignored, and
so are legal-form words (``SIA``, ``VAS``, ``UAB``, ``OÜ``, ``Ltd``…) at the start or end
of the name. Words such as "aģentūra", "ministrija" or "dienests" are part of a name and
are kept. Two normalised names are

* the **same** when they are equal, and
* **similar** when they have the same set of words (in any order), when one is contained
  word for word in the other and the shorter has at least two words, or when
  :class:`difflib.SequenceMatcher` rates them at least 0.88 -- the last rule only when each
  word of the name with fewer words resembles a word of the other (so "Cēsu novada
  pašvaldība" and "Talsu novada pašvaldība", which differ in the one word that matters, are
  not similar) and both carry the same numbers ("Rīgas 1. vidusskola" is not "Rīgas 2.
  vidusskola").

E-mail addresses are the same when they are equal ignoring case and surrounding
whitespace; websites when they have the same host (:func:`website_host`: scheme, ``www.``,
port, path, a trailing dot and case do not count).

Only authorities of the same country are considered, in every status except "rejected":
a deactivated authority is still a duplicate, since it can be reactivated.

Efficiency
----------
A country may hold 100 000 authorities. Candidates are fetched with at most two small
queries that load only the columns needed for scoring: one for the same e-mail or website,
one by the folded ``Authority.search_name`` column containing the stems of the (up to two)
longest significant words of each given name, best-covering and closest-in-length first.
Each query returns at most :data:`CANDIDATE_LIMIT` rows; the rows are scored in Python and
only the few authorities returned are loaded as entities.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from urllib.parse import urlsplit

import sqlalchemy as sa

from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Authority, AuthorityStatus, fold

# How each reason of a likely duplicate reads beside it.
DUPLICATE_REASONS = {
    "same_name": _l("same name"),
    "similar_name": _l("similar name"),
    "same_email": _l("same e-mail"),
    "same_website": _l("same website"),
}

__all__ = [
    "CANDIDATE_LIMIT",
    "Duplicate",
    "SAME_EMAIL",
    "SAME_NAME",
    "SAME_WEBSITE",
    "SIMILAR_NAME",
    "find_duplicates",
    "names_similar",
    "normalise_name",
    "website_host",
]

# Reason codes of a Duplicate, strongest first.
SAME_NAME = "same_name"
SAME_EMAIL = "same_email"
SAME_WEBSITE = "same_website"
SIMILAR_NAME = "similar_name"
_REASON_ORDER = (SAME_NAME, SAME_EMAIL, SAME_WEBSITE, SIMILAR_NAME)
_EXACT_REASONS = frozenset({SAME_NAME, SAME_EMAIL, SAME_WEBSITE})

# Rows each candidate query may return; scoring happens in Python.
CANDIDATE_LIMIT = 300
# difflib ratio from which two normalised names are similar.
SIMILARITY_THRESHOLD = 0.88
# How much each word of the name with fewer words must resemble a word of the other for
# the ratio rule to apply (absorbs typos and Latvian/Lithuanian endings, not other words).
WORD_SIMILARITY_THRESHOLD = 0.75
# The shorter name must have this many words for the containment rule.
CONTAINMENT_MIN_WORDS = 2
# Words shorter than this are not used to look candidates up, unless nothing else is left.
_MIN_SEARCH_WORD = 3


# Legal-form words and phrases, in folded form (lower case, no accents), dropped at the
# start or end of a name. Only company/association forms: public-body words that are part
# of a name ("aģentūra", "ministrija", "dienests", "inspekcija"...) are kept.
_LEGAL_FORMS = (
    # Latvian
    "sia", "vsia", "psia", "as", "vas", "pas", "bo", "ik", "ps", "ks", "kb", "zs",
    "sabiedriba ar ierobezotu atbildibu",
    "valsts sabiedriba ar ierobezotu atbildibu",
    "pasvaldibas sabiedriba ar ierobezotu atbildibu",
    "akciju sabiedriba",
    "valsts akciju sabiedriba",
    "pasvaldibas akciju sabiedriba",
    "individualais komersants",
    # Lithuanian (UAB, AB, VšĮ, VĮ, BĮ, MB, TŪB, KŪB)
    "uab", "ab", "vsi", "vi", "bi", "mb", "tub", "kub",
    "uzdaroji akcine bendrove",
    "akcine bendrove",
    "viesoji istaiga",
    "valstybes imone",
    "biudzetine istaiga",
    # Estonian (OÜ, AS, MTÜ, SA)
    "ou", "mtu", "sa",
    "osauhing", "aktsiaselts", "mittetulundusuhing", "sihtasutus",
    # English and other common forms
    "ltd", "limited", "llc", "plc", "inc", "corp", "gmbh",
    "limited liability company",
    "public limited company",
)
_LEGAL_FORM_WORDS = frozenset(form for form in _LEGAL_FORMS if " " not in form)
_LEGAL_FORM_PHRASES = sorted(
    (tuple(form.split()) for form in _LEGAL_FORMS if " " in form), key=len, reverse=True
)

# Single letters joined by dots or slashes ("S.I.A.", "A/S") are one word.
_DOTTED_ABBREVIATION = re.compile(r"(?<!\w)(?:\w[./])+\w(?!\w)")
_SEPARATORS = re.compile(r"[\W_]+")


def normalise_name(text: str | None) -> str:
    """The form in which names are compared for duplicates (R-2.0).

    Lower-case and accent-free (``fold``), punctuation and quotes replaced by spaces,
    whitespace collapsed, and legal-form words dropped from the start and the end::

        >>> normalise_name('SIA "Latvijas Gāze"')
        'latvijas gaze'
        >>> normalise_name("VAS  Latvijas Valsts ceļi")
        'latvijas valsts celi'

    A name made only of legal-form words keeps its last one, so it never becomes empty.
    """
    folded = fold(text)
    folded = _DOTTED_ABBREVIATION.sub(lambda m: re.sub(r"[./]", "", m.group()), folded)
    words = _SEPARATORS.sub(" ", folded).split()
    return " ".join(_strip_legal_forms(words))


def _strip_legal_forms(words: list[str]) -> list[str]:
    """Drop legal-form words and phrases from both ends, keeping at least one word."""
    changed = True
    while changed and len(words) > 1:
        changed = False
        if words[0] in _LEGAL_FORM_WORDS:
            words, changed = words[1:], True
        elif words[-1] in _LEGAL_FORM_WORDS:
            words, changed = words[:-1], True
        else:
            for phrase in _LEGAL_FORM_PHRASES:
                n = len(phrase)
                if len(words) > n and tuple(words[:n]) == phrase:
                    words, changed = words[n:], True
                    break
                if len(words) > n and tuple(words[-n:]) == phrase:
                    words, changed = words[:-n], True
                    break
    return words


def website_host(url: str | None) -> str:
    """The host of a website address, as compared for duplicates (R-2.0).

    Scheme, ``www.``, user info, port, path, query, a trailing dot and case do not count;
    an internationalised host is given in its ASCII (punycode) form. "" when there is none::

        >>> website_host("https://www.vid.gov.lv/lv/kontakti")
        'vid.gov.lv'
        >>> website_host("VID.gov.lv.")
        'vid.gov.lv'
    """
    text = (url or "").strip()
    if not text:
        return ""
    if "://" not in text and not text.startswith("//"):
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:  # e.g. an unbalanced "[" of an IPv6 address
        return ""
    host = host.strip().rstrip(".").lower()
    if not host or any(c.isspace() for c in host):
        return ""
    if host.startswith("www."):
        host = host[4:]
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return host


def _email_key(email: str | None) -> str:
    return (email or "").strip().lower()


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _words_compatible(a: list[str], b: list[str]) -> bool:
    """Each word of the name with fewer words resembles some word of the other one."""
    if len(a) > len(b):
        a, b = b, a
    sides = [(a, b), (b, a)] if len(a) == len(b) else [(a, b)]
    for mine, theirs in sides:
        for word in mine:
            if word in theirs:
                continue
            if max(_ratio(word, other) for other in theirs) < WORD_SIMILARITY_THRESHOLD:
                return False
    return True


def _name_score(a: str, b: str) -> float | None:
    """How similar two normalised names are (R-2.0), or None when they are not similar."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    words_a, words_b = a.split(), b.split()
    if set(words_a) == set(words_b):
        return max(0.95, _ratio(a, b))
    short, long_ = (a, b) if len(words_a) <= len(words_b) else (b, a)
    contained = len(short.split()) >= CONTAINMENT_MIN_WORDS and f" {short} " in f" {long_} "
    ratio = 0.0
    matcher = SequenceMatcher(None, a, b)
    if matcher.real_quick_ratio() >= SIMILARITY_THRESHOLD or contained:
        ratio = matcher.ratio()
    if contained:
        return max(ratio, SIMILARITY_THRESHOLD)
    if (
        ratio >= SIMILARITY_THRESHOLD
        and {w for w in words_a if w.isdigit()} == {w for w in words_b if w.isdigit()}
        and _words_compatible(words_a, words_b)
    ):
        return ratio
    return None


def names_similar(a: str, b: str) -> bool:
    """Whether two names are the same or similar under R-2.0 (after normalisation)."""
    return _name_score(normalise_name(a), normalise_name(b)) is not None


@dataclass
class Duplicate:
    """A likely duplicate of the authority being registered (R-2.0).

    ``reasons`` holds reason codes, strongest first: ``same_name``, ``same_email``,
    ``same_website``, ``similar_name``. ``score`` is the best name similarity (0..1; 0
    when only the e-mail or website matched).
    """

    authority: Authority
    reasons: list[str] = field(default_factory=list)
    score: float = 0.0

    @property
    def is_exact(self) -> bool:
        """Whether the name (normalised), e-mail or website is the same, not just similar."""
        return any(reason in _EXACT_REASONS for reason in self.reasons)


def _search_stems(names: list[str]) -> list[str]:
    """Up to two of the longest words of each name, shortened to tolerate word endings."""
    stems: list[str] = []
    for name in names:
        words = sorted(set(name.split()), key=lambda w: (-len(w), w))
        significant = [w for w in words if len(w) >= _MIN_SEARCH_WORD] or words[:1]
        for word in significant[:2]:
            stem = word[:-2] if len(word) >= 6 else word
            if stem not in stems:
                stems.append(stem)
    return stems


_CANDIDATE_COLUMNS = (
    Authority.id,
    Authority.official_name,
    Authority.informal_name,
    Authority.email,
    Authority.website,
)


def find_duplicates(
    country_id: int,
    *,
    official_name: str,
    informal_name: str = "",
    email: str = "",
    website: str = "",
    exclude_id: int | None = None,
    limit: int = 10,
) -> list[Duplicate]:
    """Likely duplicates, in the country, of an authority with these details (R-2.0).

    Authorities of ``country_id`` in any status but "rejected" (a deactivated authority can
    be reactivated, so it counts) whose official or informal name is the same as or similar
    to ``official_name`` or ``informal_name``, or whose e-mail or website host is the same.
    ``exclude_id`` leaves out the authority being edited. At most ``limit`` results, the
    strongest first: more exact matches (name, e-mail, website) first, then by name
    similarity.
    """
    names = [n for n in dict.fromkeys((normalise_name(official_name), normalise_name(informal_name))) if n]
    email_key = _email_key(email)
    host = website_host(website)
    if limit <= 0 or not (names or email_key or host):
        return []

    base = sa.select(*_CANDIDATE_COLUMNS).where(
        Authority.country_id == country_id,
        Authority.status != AuthorityStatus.REJECTED,
    )
    if exclude_id is not None:
        base = base.where(Authority.id != exclude_id)

    rows = {}
    exact_conditions = []
    if email_key:
        exact_conditions.append(sa.func.lower(sa.func.trim(Authority.email)) == email_key)
    if host:
        website_lower = sa.func.lower(Authority.website)
        for form in dict.fromkeys((host, _unicode_host(host))):
            exact_conditions.append(website_lower.contains(form, autoescape=True))
    if exact_conditions:
        query = base.where(sa.or_(*exact_conditions)).order_by(Authority.id).limit(CANDIDATE_LIMIT)
        rows.update((row.id, row) for row in db.session.execute(query))

    stems = _search_stems(names)
    if stems:
        hits = [Authority.search_name.contains(stem, autoescape=True) for stem in stems]
        covered = functools.reduce(operator.add, [sa.case((hit, 1), else_=0) for hit in hits])
        length_gap = sa.func.abs(sa.func.length(Authority.search_name) - min(len(n) for n in names))
        query = (
            base.where(sa.or_(*hits))
            .order_by(covered.desc(), length_gap, Authority.id)
            .limit(CANDIDATE_LIMIT)
        )
        rows.update((row.id, row) for row in db.session.execute(query))

    scored: list[tuple[int, list[str], float]] = []
    for row in rows.values():
        reasons, score = _match(row, names, email_key, host)
        if reasons:
            scored.append((row.id, reasons, score))
    scored.sort(key=lambda item: (-sum(r in _EXACT_REASONS for r in item[1]), -item[2], item[0]))
    scored = scored[:limit]
    if not scored:
        return []

    authorities = {
        a.id: a
        for a in db.session.scalars(sa.select(Authority).where(Authority.id.in_([i for i, _, _ in scored])))
    }
    return [
        Duplicate(authority=authorities[id_], reasons=reasons, score=score)
        for id_, reasons, score in scored
        if id_ in authorities
    ]


def _unicode_host(host: str) -> str:
    try:
        return host.encode("ascii").decode("idna")
    except UnicodeError:
        return host


def _match(row, names: list[str], email_key: str, host: str) -> tuple[list[str], float]:
    """The reasons (strongest first) and name score for one candidate row."""
    reasons = set()
    score = 0.0
    theirs = [n for n in (normalise_name(row.official_name), normalise_name(row.informal_name)) if n]
    for mine in names:
        for other in theirs:
            pair_score = _name_score(mine, other)
            if pair_score is None:
                continue
            reasons.add(SAME_NAME if mine == other else SIMILAR_NAME)
            score = max(score, pair_score)
    if SAME_NAME in reasons:
        reasons.discard(SIMILAR_NAME)
    if email_key and _email_key(row.email) == email_key:
        reasons.add(SAME_EMAIL)
    if host and website_host(row.website) == host:
        reasons.add(SAME_WEBSITE)
    return [r for r in _REASON_ORDER if r in reasons], score

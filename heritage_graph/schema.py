"""The one source of truth for Heritage Graph's data model.

Node kinds, relation types with their allowed endpoints, and the properties of
each (type, allowed values, description) are declared here once. The store DDL,
the import validation, the GraphQL enums and types, and ``docs/schema.md`` are
all derived from these declarations; nothing else restates them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from . import media


class T(Enum):
    """Value types a property can take."""

    STRING = "string"
    INT = "integer"
    FLOAT = "number"
    STRING_LIST = "list of strings"
    TEXT_MAP = "map of language code to text"
    STRUCT = "object"
    STRUCT_LIST = "list of objects"


@dataclass(frozen=True)
class Prop:
    name: str
    type: T
    doc: str
    allowed: tuple[str, ...] | None = None
    # For STRUCT: the fields of the object, themselves Props.
    fields: tuple[Prop, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    # For strings: the form a value must have (matched whole), and how to say it.
    pattern: re.Pattern[str] | None = None
    # Name of the GraphQL enum (for `allowed`), object type (for STRUCT and STRUCT_LIST), or the
    # field that gives the text in one language (for TEXT_MAP).
    gql: str | None = None
    # A further rule of a value that passed its type's checks: (value, its path, the problems found) ->
    # the value, normalised, or None with its problems appended. For STRUCT_LIST: the whole list.
    check: Callable[[Any, str, list[str]], Any] | None = None
    # For a STRUCT's field: the object means nothing without it (imports refuse an object that lacks
    # it; typed GraphQL inputs make it non-null).
    required: bool = False

    @property
    def is_list(self) -> bool:
        return self.type is T.STRING_LIST


@dataclass(frozen=True)
class NodeKind:
    name: str
    doc: str
    props: tuple[Prop, ...]
    plural: str

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)


@dataclass(frozen=True)
class RelationType:
    name: str
    doc: str
    endpoints: tuple[tuple[str, str], ...]
    props: tuple[Prop, ...] = ()
    # GraphQL field names on the endpoint types; a symmetric relation gets one
    # field listing both directions.
    out_field: str = ""
    in_field: str = ""
    both_field: str = ""
    # A hierarchy: following it from any record never leads back to that record (imports and
    # curation refuse a relation that would close a cycle; services/cycles.py).
    acyclic: bool = False

    @property
    def from_kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for f, _ in self.endpoints))

    @property
    def to_kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for _, t in self.endpoints))

    def allows(self, from_kind: str, to_kind: str) -> bool:
        return (from_kind, to_kind) in self.endpoints

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)


# Matched whole (fullmatch): "$" alone would also accept a trailing newline.
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
LANG_PATTERN = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
DATE_PATTERN = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")

CONFIDENCE = ("high", "medium", "low")
SENSITIVITY = ("public", "community", "restricted")
DOMAINS = (
    "oral-traditions",
    "performing-arts",
    "social-practices",
    "knowledge-nature-universe",
    "traditional-craftsmanship",
)
UNESCO_LISTS = ("representative", "urgent-safeguarding", "good-practices")
TRADITION_CATEGORIES = (
    "festival",
    "dance",
    "music",
    "ritual",
    "oral-tradition",
    "knowledge",
    "social-practice",
    "other",
)
PLACE_LEVELS = ("country", "department", "province", "district", "locality")
# How deep walks up or down the place hierarchy go (its levels, with room for irregular nesting).
MAX_PLACE_DEPTH = 10
# Size limits of one record's fields, in characters (imports and mutations alike): a 30 MB name once
# imported broke every listing that showed it. A line of an import file is limited apart, in bytes
# (HERITAGE_MAX_LINE_BYTES, interchange.MAX_LINE_BYTES).
# The defaults below; HERITAGE_MAX_NAME_CHARS, _STRING_CHARS, _TEXT_CHARS, _LIST_ITEMS change them.
MAX_NAME_CHARS = 500  # name, and each language's entry of names and titles
MAX_STRING_CHARS = 2_000  # a property's text, each item of a list, a relation's note
MAX_TEXT_CHARS = 50_000  # each language's entry of a summary or a story's body
MAX_LIST_ITEMS = 1_000  # items of a list property
MAX_OBJECT_ITEMS = 50  # items of a list of objects (a record's media)


@dataclass(frozen=True)
class FieldLimits:
    """The size limits a write is checked against (what was stored under other limits still reads)."""

    name: int = MAX_NAME_CHARS
    string: int = MAX_STRING_CHARS
    text: int = MAX_TEXT_CHARS
    items: int = MAX_LIST_ITEMS


DEFAULT_LIMITS = FieldLimits()
NO_LIMITS = FieldLimits(*(2**62,) * 4)  # reading stored states: they were checked when written
ORGANIZATION_TYPES = (
    "un-agency",
    "government",
    "programme",
    "ngo",
    "consortium",
    "association",
    "cooperative",
    "trademark-group",
    "academic",
    "museum",
    "religious",
    "community-organization",
    "other",
)
SOURCE_TYPES = (
    "web",
    "legal-resolution",
    "book",
    "article",
    "recording",
    "interview",
    "field-note",
)
STATUSES = ("draft", "in_review", "published", "retired")
# What a record's consent rests on (UNESCO Ethical Principles, 2015, principles 3 and 7): given by the
# people concerned; documented in a published source (a person who chose to be named in the press, a
# nomination file); or not recorded. A living person, or knowledge a community restricts, whose consent
# has no basis is not public (visibility.py).
CONSENT_BASES = ("given", "published-source", "not-recorded")
# Names a record is also known by (UNESCO's outline, section 1: identification).
ALT_NAME_TYPES = ("official", "community", "former", "variant", "translation")
# What a safeguarding measure is (outline, section 5; the Convention's article 2.3).
MEASURE_TYPES = ("grant", "programme", "festival", "school", "documentation", "research", "legislation",
                 "promotion", "periodic-report", "other")
DECLARATION_LEVELS = ("national", "regional", "local")
THREAT_TARGETS = ("practice", "transmission")
# Free, prior and informed consent (UNESCO Ethical Principles for Safeguarding ICH, 2015).
CONSENT_STATUSES = ("granted", "pending", "refused", "withdrawn", "not-required")
CONSENT_SCOPES = ("publication", "research", "education", "commercial-use", "media")
KINSHIP = ("parent", "child", "sibling", "spouse", "grandparent", "grandchild", "relative")
# What a kinship reads as from the other end of the relation.
KINSHIP_INVERSE = {
    "parent": "child",
    "child": "parent",
    "grandparent": "grandchild",
    "grandchild": "grandparent",
    "sibling": "sibling",
    "spouse": "spouse",
    "relative": "relative",
}

# Who recorded a record and when: set by the system on import and kept by later
# writes; the interchange format carries them so that an export re-imports as it was.
SYSTEM_FIELDS = ("recorded_by", "recorded_at", "updated_at")
# Fields every node has, outside `properties` in the interchange format.
COMMON_FIELDS = ("kind", "id", "name", "names", "summary", "properties", "sources", "confidence", "sensitivity",
                 "status", *SYSTEM_FIELDS)
# Fields every relation has, outside `properties`.
RELATION_FIELDS = ("rel", "from", "to", "properties", "sources", "confidence", "note", *SYSTEM_FIELDS)

YEAR = {"minimum": -5000, "maximum": 2200}

# Media: what a media item is, the formats it may have and the licences it may carry.
MEDIA_KINDS = ("image", "audio", "video", "document")
# IANA media types. Not image/svg+xml: an SVG is a document that can carry scripts.
MEDIA_TYPES = (
    "image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff", "image/jp2",
    "audio/mpeg", "audio/ogg", "audio/wav", "audio/flac", "audio/mp4",
    "video/mp4", "video/webm", "video/ogg",
    "application/pdf",
)
# SPDX identifiers of the Creative Commons licences (the versions Wikimedia Commons and Flickr carry), the
# public domain and none, with the URL each one is published at (linked data links to it).
LICENCE_URLS: dict[str, str | None] = {
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC-BY-NC-SA-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "CC-BY-ND-4.0": "https://creativecommons.org/licenses/by-nd/4.0/",
    "CC-BY-NC-ND-4.0": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    "CC-BY-3.0": "https://creativecommons.org/licenses/by/3.0/",
    "CC-BY-SA-3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    "CC-BY-2.0": "https://creativecommons.org/licenses/by/2.0/",
    "CC-BY-SA-2.0": "https://creativecommons.org/licenses/by-sa/2.0/",
    "public-domain": "https://creativecommons.org/publicdomain/mark/1.0/",
    "all-rights-reserved": None,
}
LICENCES = tuple(LICENCE_URLS)

def _consent_check(value: Any, path: str, problems: list[str]) -> Any:
    """A consent says where it stands or what it rests on: a bare "given by" could not be read back."""
    if isinstance(value, dict) and not value.get("status") and not value.get("basis"):
        problems.append(f"{path}: needs its status ({', '.join(CONSENT_STATUSES)}) or its basis "
                        f"({', '.join(CONSENT_BASES)})")
        return None
    return value


CONSENT = Prop(
    "consent",
    T.STRUCT,
    "Free, prior and informed consent of the community or person to the record and its uses (UNESCO "
    "Ethical Principles, 2015): its status, what it rests on, the evidence, and when to review it.",
    gql="Consent",
    fields=(
        Prop("status", T.STRING, "Where consent stands.", CONSENT_STATUSES, gql="ConsentStatus"),
        Prop("basis", T.STRING, "What it rests on: given by the people concerned, documented in a published "
             "source, or not recorded (then a living person or restricted knowledge is not public).",
             CONSENT_BASES, gql="ConsentBasis"),
        Prop("evidence", T.STRING, "Where it is recorded: a signed form, an assembly's minutes, the id of the "
             "Source that documents it."),
        Prop("given_by", T.STRING, "Who gave, refused or withdrew it (a person, an assembly, an organization)."),
        Prop("date", T.STRING, "When: YYYY, YYYY-MM or YYYY-MM-DD.", pattern=DATE_PATTERN),
        Prop("review_date", T.STRING, "When it must be asked again: YYYY, YYYY-MM or YYYY-MM-DD.",
             pattern=DATE_PATTERN),
        Prop("scope", T.STRING_LIST, "The uses it covers.", CONSENT_SCOPES, gql="ConsentScope"),
        Prop("note", T.STRING, "How it was obtained, conditions, references."),
    ),
    check=_consent_check,
)

ALT_NAMES = Prop(
    "alt_names",
    T.STRUCT_LIST,
    "Other names the record is known by, each with its language and orthography: the official title, the "
    "community's own name, former names, spelling variants (UNESCO outline, section 1). All are searched.",
    gql="AltName",
    fields=(
        Prop("name", T.STRING, "The name as written.", required=True),
        Prop("lang", T.STRING, "Its language code (es, qu, ay, ...).", pattern=LANG_PATTERN),
        Prop("type", T.STRING, "What sort of name it is.", ALT_NAME_TYPES, gql="AltNameType"),
        Prop("orthography", T.STRING, "The spelling system, e.g. Quechua official alphabet (1985), colonial "
             "Spanish, Aymara unified alphabet."),
    ),
)

ACCESS_RULES = Prop("access_rules", T.STRING, "Customary rules on access to the knowledge, in words (who may "
                    "see, hear or learn it, and when), beside the sensitivity level (outline, section 3).")

def _names_check(value: Any, path: str, problems: list[str]) -> Any:
    """Property names, not text (which of the record's own it names is checked with its kind: interchange)."""
    bad = [v for v in value if not re.fullmatch(r"[a-z][a-z_]*", v)]
    if bad:
        problems.append(f"{path}: {', '.join(repr(v) for v in bad)} is not a property name (like birth_year)")
        return None
    return value


RESTRICTED_FIELDS = Prop(
    "restricted_fields", T.STRING_LIST,
    "Properties withheld from readers below curator (a birth year, an address) while the record itself stays "
    "visible.", check=_names_check)

GATHERING = Prop(
    "gathering",
    T.STRUCT,
    "How the information was gathered (outline, section 7): when, where, by whom, from whom, with what consent "
    "— not when it was imported.",
    gql="DataGathering",
    fields=(
        Prop("date", T.STRING, "When: YYYY, YYYY-MM or YYYY-MM-DD.", pattern=DATE_PATTERN),
        Prop("place", T.STRING, "Where."),
        Prop("gathered_by", T.STRING, "Who gathered it (a person, a team, an institution)."),
        Prop("resource_persons", T.STRING_LIST, "The people who gave the information."),
        Prop("consent", T.STRING, "The consent obtained for gathering and recording it."),
    ),
)

FIELD_SOURCES = Prop(
    "field_sources",
    T.STRUCT_LIST,
    "Which claim a source supports: a source tied to one property rather than to the whole record.",
    gql="FieldSource",
    fields=(
        Prop("field", T.STRING, "The property (or common field: name, names, summary) it supports.", required=True),
        Prop("sources", T.STRING_LIST, "The ids of the Source records.", required=True),
        Prop("note", T.STRING, "Which part of it, a page number, a quotation reference."),
    ),
)

# Who looks after a record's knowledge, and how it was gathered: every kind that can need it.
_STEWARDSHIP: tuple[Prop, ...] = (CONSENT, ACCESS_RULES, RESTRICTED_FIELDS, GATHERING, FIELD_SOURCES)

MEDIA = Prop(
    "media",
    T.STRUCT_LIST,
    "Images, recordings and documents shown with the record, in order; each is withheld from readers who may "
    "not see its sensitivity, or when the record's consent does not cover media (docs/curation.md).",
    gql="Media",
    fields=(
        Prop("url", T.STRING, "Where the file is: an http(s) URL (required); an IIIF Image API URL (an image "
             "request or its info.json) is recognised.", check=media.check_url),
        Prop("kind", T.STRING, "What it is; when left out, from media_type, or image for an IIIF URL.", MEDIA_KINDS,
             gql="MediaKind"),
        Prop("media_type", T.STRING, "Its format (an IANA media type).", MEDIA_TYPES, gql="MediaType"),
        Prop("caption", T.TEXT_MAP, "Caption by language code.", gql="caption"),
        Prop("alt", T.TEXT_MAP, "Text alternative by language code, for readers who cannot see it; required for an "
             "image.", gql="alt"),
        Prop("credit", T.STRING, "Who made it or holds it, as it must be credited."),
        Prop("licence", T.STRING, "Its licence: an SPDX identifier, public-domain or all-rights-reserved.", LICENCES,
             gql="Licence"),
        Prop("sensitivity", T.STRING, "Who may see it, on top of the record's own sensitivity (default public).",
             SENSITIVITY, gql="Sensitivity"),
    ),
    check=media.check_items,
)

_ELEMENT_PROPS: tuple[Prop, ...] = (
    ALT_NAMES,
    Prop("domains", T.STRING_LIST, "UNESCO domains of intangible heritage the element belongs to.", DOMAINS,
         gql="Domain"),
    Prop("languages", T.STRING_LIST, "Languages the element is practised or transmitted in (language codes; "
         "outline, section 2)."),
    Prop("objects", T.STRING_LIST, "Tangible elements associated with it: objects, instruments, tools, "
         "costumes (outline, section 2)."),
    Prop("spaces", T.STRING_LIST, "Spaces associated with it: sanctuaries, squares, fields, workshops (outline, "
         "section 2)."),
    Prop("origin", T.STRING, "Its origin as the community perceives and tells it (outline, section 2)."),
    Prop("transmission", T.STRING, "How the element as a whole is transmitted: in families, apprenticeship, "
         "schools, brotherhoods (outline, section 2)."),
    Prop(
        "unesco",
        T.STRUCT,
        "Inscription on a UNESCO list (outline, section 6).",
        gql="UnescoInscription",
        fields=(
            Prop("list", T.STRING, "The UNESCO list.", UNESCO_LISTS, gql="UnescoList"),
            Prop("year", T.INT, "Year of inscription.", **YEAR),
            Prop("element_no", T.STRING, "UNESCO element number, e.g. 00166."),
            Prop("decision", T.STRING, "The Committee's decision, e.g. 8.COM 8.17."),
            Prop("states", T.STRING_LIST, "The states that submitted it, when several did (ISO 3166 names)."),
            Prop("former_names", T.STRING_LIST, "Names it was inscribed under before."),
        ),
    ),
    Prop(
        "declarations",
        T.STRUCT_LIST,
        "Declarations as heritage: national (Cultural Heritage of the Nation), regional ordinances, local ones.",
        gql="Declaration",
        fields=(
            Prop("level", T.STRING, "Who declared it: the nation, a region, a municipality.", DECLARATION_LEVELS,
                 gql="DeclarationLevel", required=True),
            Prop("body", T.STRING, "The issuing body, e.g. Ministerio de Cultura, Gobierno Regional de Puno."),
            Prop("resolution", T.STRING, "The resolution or ordinance, e.g. RV 098-2019."),
            Prop("year", T.INT, "Year of the declaration.", **YEAR),
            Prop("date", T.STRING, "Date: YYYY, YYYY-MM or YYYY-MM-DD.", pattern=DATE_PATTERN),
        ),
    ),
    Prop("viability", T.STRING, "How alive the practice is, and the threats to it."),
    Prop(
        "threats",
        T.STRUCT_LIST,
        "Threats to the practice or to its transmission, each a dated assessment with its source (outline, "
        "section 4).",
        gql="Threat",
        fields=(
            Prop("threat", T.STRING, "The threat, in words.", required=True),
            Prop("to", T.STRING, "What it threatens.", THREAT_TARGETS, gql="ThreatTarget"),
            Prop("date", T.STRING, "When it was assessed: YYYY, YYYY-MM or YYYY-MM-DD.", pattern=DATE_PATTERN),
            Prop("assessed_by", T.STRING, "Who assessed it."),
            Prop("source", T.STRING, "The id of the Source that records the assessment.", pattern=ID_PATTERN),
        ),
    ),
    Prop("safeguarding", T.STRING, "Measures that safeguard the element (see also its SafeguardingMeasure "
         "records)."),
    *_STEWARDSHIP,
    MEDIA,
)

NODE_KINDS: tuple[NodeKind, ...] = (
    NodeKind("Community", "A group of people who hold and transmit heritage.", (ALT_NAMES, *_STEWARDSHIP),
             "communities"),
    NodeKind(
        "Tradition",
        "A festival, dance, music, ritual, oral tradition or other practice.",
        (
            *_ELEMENT_PROPS,
            Prop("category", T.STRING, "What sort of tradition it is.", TRADITION_CATEGORIES, gql="TraditionCategory"),
        ),
        "traditions",
    ),
    NodeKind(
        "Craft",
        "A traditional craft and its know-how.",
        (
            *_ELEMENT_PROPS,
            Prop("materials", T.STRING_LIST, "Materials the craft works with."),
            Prop("techniques", T.STRING_LIST, "Techniques it uses."),
        ),
        "crafts",
    ),
    NodeKind(
        "Recipe",
        "A dish or drink and the knowledge of making it.",
        (
            *_ELEMENT_PROPS,
            Prop("ingredients", T.STRING_LIST, "Main ingredients."),
            Prop("served_with", T.STRING_LIST, "What it is served with."),
            Prop("occasion", T.STRING, "When it is made or eaten."),
        ),
        "recipes",
    ),
    NodeKind(
        "Practitioner",
        "A person who practises, teaches or carries heritage.",
        (
            ALT_NAMES,
            Prop("birth_year", T.INT, "Year of birth.", **YEAR),
            Prop("death_year", T.INT, "Year of death; without it the person is taken to be living (consent).",
                 **YEAR),
            Prop("roles", T.STRING_LIST, "Roles, e.g. retablista, weaver, dancer."),
            Prop("gender", T.STRING, "Gender, in the person's or community's words, only where they want it "
                 "recorded (outline, section 3)."),
            Prop("community_role", T.STRING, "The person's role in the community's practice, e.g. maestro mayor, "
                 "carguyoq, cook of the feast (outline, section 3)."),
            *_STEWARDSHIP,
        ),
        "practitioners",
    ),
    NodeKind(
        "Place",
        "A country, department, province, district or locality.",
        (
            ALT_NAMES,
            Prop("level", T.STRING, "Administrative level.", PLACE_LEVELS, gql="PlaceLevel"),
            Prop("lat", T.FLOAT, "Latitude, decimal degrees (WGS 84).", minimum=-90, maximum=90),
            Prop("lon", T.FLOAT, "Longitude, decimal degrees (WGS 84).", minimum=-180, maximum=180),
        ),
        "places",
    ),
    NodeKind(
        "Organization",
        "An agency, ministry, consortium, association or other body.",
        (ALT_NAMES,
         Prop("type", T.STRING, "What sort of organization it is.", ORGANIZATION_TYPES, gql="OrganizationType"),),
        "organizations",
    ),
    NodeKind(
        "Source",
        "A document that supports claims: a web page, resolution, book, recording...",
        (
            Prop("title", T.STRING, "Title of the document."),
            Prop("url", T.STRING, "Where to read it."),
            Prop("publisher", T.STRING, "Who published it."),
            Prop("date", T.STRING, "Publication date: YYYY, YYYY-MM or YYYY-MM-DD.", pattern=DATE_PATTERN),
            Prop("type", T.STRING, "What sort of document it is.", SOURCE_TYPES, gql="SourceType"),
            Prop("accessed", T.STRING, "When the document was read (for a web page): YYYY-MM-DD.",
                 pattern=DATE_PATTERN),
            Prop("rights", T.STRING, "Who holds the rights, and on what terms it may be reused."),
            Prop("licence", T.STRING, "Its licence: an SPDX identifier, public-domain or all-rights-reserved.",
                 LICENCES, gql="Licence"),
            CONSENT,
            ACCESS_RULES,
            RESTRICTED_FIELDS,
        ),
        "sources",
    ),
    NodeKind(
        "Story",
        "A story for visitors about heritage, with its title and body per language.",
        (
            Prop("titles", T.TEXT_MAP, "Title by language code.", gql="title"),
            Prop("body", T.TEXT_MAP, "Text by language code (plain text, paragraphs separated by blank lines).",
                 gql="body"),
            MEDIA,
            *_STEWARDSHIP,
        ),
        "stories",
    ),
    NodeKind(
        "SafeguardingMeasure",
        "A dated measure that safeguards elements: a grant, a programme, a festival, a school, a UNESCO periodic "
        "report (outline, section 5). SAFEGUARDS links it to the elements, CARRIES_OUT to who carries it.",
        (
            Prop("type", T.STRING, "What sort of measure it is.", MEASURE_TYPES, gql="MeasureType"),
            Prop("started", T.STRING, "When it began (or was submitted, for a report): YYYY, YYYY-MM or "
                 "YYYY-MM-DD.", pattern=DATE_PATTERN),
            Prop("ended", T.STRING, "When it ended: YYYY, YYYY-MM or YYYY-MM-DD.", pattern=DATE_PATTERN),
            Prop("amount", T.FLOAT, "Its budget or grant, in `currency`.", minimum=0),
            Prop("currency", T.STRING, "The currency of `amount`, as an ISO 4217 code: USD, PEN.",
                 pattern=re.compile(r"[A-Z]{3}")),
            Prop("outcome", T.STRING, "What it achieved, as far as known."),
            FIELD_SOURCES,
        ),
        "safeguardingMeasures",
    ),
)

ELEMENT_KINDS = ("Tradition", "Craft", "Recipe")
_ALL_BUT_SOURCE = tuple(k.name for k in NODE_KINDS if k.name != "Source")
_FEATURABLE = tuple(k for k in _ALL_BUT_SOURCE if k != "Story")


def _pairs(froms: tuple[str, ...], tos: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((f, t) for f in froms for t in tos)


RELATION_TYPES: tuple[RelationType, ...] = (
    RelationType(
        "PRACTICES",
        "A community practises a tradition, craft or recipe.",
        _pairs(("Community",), ELEMENT_KINDS),
        out_field="practices",
        in_field="communities",
    ),
    RelationType(
        "PRACTITIONER_OF",
        "A person practises a tradition, craft or recipe.",
        _pairs(("Practitioner",), ELEMENT_KINDS),
        (Prop("role", T.STRING, "The person's role in it, e.g. master, dancer, cook."), CONSENT),
        out_field="practices",
        in_field="practitioners",
    ),
    RelationType(
        "LEARNED_FROM",
        "A student learned from a teacher (student → teacher).",
        (("Practitioner", "Practitioner"),),
        (
            Prop("period", T.STRING, "When, e.g. 1940s or 1950-1962."),
            Prop("setting", T.STRING, "How, e.g. family workshop, apprenticeship."),
            CONSENT,
        ),
        out_field="teachers",
        in_field="students",
    ),
    RelationType(
        "KIN_OF",
        "A family tie: `kinship` says what the `from` person is to the `to` person.",
        (("Practitioner", "Practitioner"),),
        (Prop("kinship", T.STRING, "What `from` is to `to`.", KINSHIP, gql="Kinship"), CONSENT),
        both_field="kin",
    ),
    RelationType(
        "MEMBER_OF",
        "Membership of a community or organization.",
        _pairs(("Practitioner", "Community"), ("Community", "Organization")),
        (CONSENT,),
        out_field="memberOf",
        in_field="members",
    ),
    RelationType(
        "DERIVED_FROM",
        "An element derives from an earlier one of the same kind (derived → origin).",
        tuple((k, k) for k in ELEMENT_KINDS),
        out_field="derivedFrom",
        in_field="derivatives",
        acyclic=True,
    ),
    RelationType(
        "PART_OF",
        "An element is part of a larger tradition.",
        _pairs(ELEMENT_KINDS, ("Tradition",)),
        out_field="partOf",
        in_field="parts",
        acyclic=True,
    ),
    RelationType(
        "ASSOCIATED_WITH",
        "Two elements go together, e.g. a dish and its festival.",
        _pairs(ELEMENT_KINDS, ELEMENT_KINDS),
        both_field="associated",
    ),
    RelationType(
        "LOCATED_IN",
        "Where something is; places nest (district in province in department in country).",
        _pairs(
            ("Community", "Tradition", "Craft", "Recipe", "Practitioner", "Organization", "Place",
             "SafeguardingMeasure"),
            ("Place",),
        ),
        out_field="locatedIn",
        in_field="contains",
        acyclic=True,
    ),
    RelationType(
        "CERTIFIED_BY",
        "A person was certified or honoured by an organization.",
        (("Practitioner", "Organization"),),
        (
            Prop("year", T.INT, "Year of the certification or honour.", **YEAR),
            Prop("title", T.STRING, "The certificate or honour."),
        ),
        out_field="certifiedBy",
        in_field="certified",
    ),
    RelationType(
        "SAFEGUARDS",
        "A safeguarding measure, or an organization, safeguards an element (outline, section 5).",
        _pairs(("SafeguardingMeasure", "Organization"), ELEMENT_KINDS),
        out_field="safeguards",
        in_field="safeguardedBy",
    ),
    RelationType(
        "CARRIES_OUT",
        "An organization or a community carries out a safeguarding measure.",
        _pairs(("Organization", "Community"), ("SafeguardingMeasure",)),
        out_field="carriesOut",
        in_field="carriedOutBy",
    ),
    RelationType(
        "FEATURES",
        "A story tells about a node.",
        _pairs(("Story",), _FEATURABLE),
        out_field="features",
        in_field="featuredIn",
    ),
    RelationType(
        "COVER_PLACE",
        "The place a story is about, shown on its cover.",
        (("Story", "Place"),),
        out_field="coverPlace",
        in_field="coverOf",
    ),
    RelationType(
        "DOCUMENTED_BY",
        "A node's sources; written from a node's `sources` list, never directly.",
        _pairs(_ALL_BUT_SOURCE, ("Source",)),
        out_field="sources",
        in_field="documents",
    ),
)

# Relation types the interchange format takes as relation lines.
DERIVED_RELATIONS = ("DOCUMENTED_BY",)

KINDS: dict[str, NodeKind] = {k.name: k for k in NODE_KINDS}
RELATIONS: dict[str, RelationType] = {r.name: r for r in RELATION_TYPES}

# The properties every relation may carry besides its own.
VERSION = Prop("version", T.INT, "Increases with every change; an update names the version it read.")
SYSTEM_PROPS: tuple[Prop, ...] = (
    Prop("recorded_by", T.STRING, "Who recorded it (set on import; kept by later writes)."),
    Prop("recorded_at", T.STRING, "When it was first recorded (ISO 8601, UTC)."),
    Prop("updated_at", T.STRING, "When it last changed (ISO 8601, UTC)."),
)
RELATION_COMMON_PROPS: tuple[Prop, ...] = (
    Prop("sources", T.STRING_LIST, "Ids of the Source nodes that support the relation."),
    Prop("confidence", T.STRING, "How sure the claim is.", CONFIDENCE, gql="Confidence"),
    Prop("note", T.STRING, "A short note on the claim."),
    *SYSTEM_PROPS,
    VERSION,
)
NODE_COMMON_PROPS: tuple[Prop, ...] = (
    Prop("id", T.STRING, "Unique across all kinds; matches `^" + ID_PATTERN.pattern + "$`."),
    Prop("kind", T.STRING, "The node kind.", tuple(KINDS), gql="Kind"),
    Prop("name", T.STRING, "Display name."),
    Prop("names", T.TEXT_MAP, "Names by language code (es, en, qu, ay, ...)."),
    Prop("summary", T.TEXT_MAP, "Summary by language code."),
    Prop("confidence", T.STRING, "How sure the record is.", CONFIDENCE, gql="Confidence"),
    Prop("sensitivity", T.STRING, "Who may see the record (default public).", SENSITIVITY, gql="Sensitivity"),
    Prop("status", T.STRING, "Publication status (default published).", STATUSES, gql="PublicationStatus"),
    *SYSTEM_PROPS,
    VERSION,
)
# Stored beside the node so that store queries can filter on it; derived from `consent`.
DERIVED_NODE_COLUMNS: tuple[Prop, ...] = (
    Prop("consent_status", T.STRING, "consent.status, kept in a column of its own for filtering."),
)


@cache
def node_columns() -> tuple[Prop, ...]:
    """Every stored node column: the common ones, then each kind's, once.

    Both stores keep all kinds in one node table (Ladybug) or under one `Node`
    label (Neo4j), so ids are unique across kinds by construction; a property
    name shared by two kinds must therefore have one type.
    """
    cols: dict[str, Prop] = {p.name: p for p in (*NODE_COMMON_PROPS, *DERIVED_NODE_COLUMNS)}
    for kind in NODE_KINDS:
        for p in kind.props:
            seen = cols.get(p.name)
            if seen is not None and seen.type is not p.type:
                raise TypeError(f"property {p.name!r} has two types: {seen.type} and {p.type}")
            cols.setdefault(p.name, p)
    return tuple(cols.values())


def relation_columns(rel: RelationType) -> tuple[Prop, ...]:
    return RELATION_COMMON_PROPS + rel.props


def kinds_where(rel: RelationType, side: str) -> tuple[str, ...]:
    return rel.from_kinds if side == "from" else rel.to_kinds


def describe_allowed(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


def endpoint_summary(rel: RelationType) -> str:
    """`A | B → C` groups, for messages and docs."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for f in rel.from_kinds:
        tos = tuple(t for ff, t in rel.endpoints if ff == f)
        groups.setdefault(tos, []).append(f)
    return "; ".join(f"{' | '.join(fs)} → {' | '.join(ts)}" for ts, fs in groups.items())


__all__ = [
    "CONFIDENCE",
    "DOMAINS",
    "ELEMENT_KINDS",
    "ID_PATTERN",
    "KINDS",
    "KINSHIP_INVERSE",
    "MEDIA",
    "NODE_KINDS",
    "RELATIONS",
    "RELATION_TYPES",
    "SENSITIVITY",
    "NodeKind",
    "Prop",
    "RelationType",
    "T",
    "node_columns",
    "relation_columns",
]

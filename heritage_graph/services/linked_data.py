"""Linked data: the graph as JSON-LD in CIDOC CRM and PROV-O terms.

``node_document`` describes one node, its relations in both directions and the
provenance of each (``GET /ld/{id}``); ``export_jsonld`` writes the whole store
as one ``@graph`` document in a deterministic order (``export --format jsonld``).

Every mapping is declared here once, keyed by the names in ``schema.py``: the
class of each kind (``KIND_CLASSES``), the key and RDF property of each field
(``PROP_TERMS``, ``RELATION_PROP_TERMS``, ``TERMS``) and the property of each
relation type (``RELATION_TERMS``). The JSON-LD ``@context`` (``context()``,
committed as ``heritage_graph/static/context.jsonld``) and the mapping tables in
``docs/linked-data.md`` are rendered from them, and tests check that every node
kind, property, enumeration and relation type of the schema is mapped.

Documents use compact IRIs only (``hgid:…``, ``hg:…``, ``crm:…``), so the
instance base (``DEFAULT_BASE``) lives in the context alone: a context built
with another base moves every node, relation and agent IRI with it.

Run ``python -m heritage_graph.services.linked_data`` to rewrite the context
file after changing a mapping (``--check`` only compares).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TextIO
from urllib.parse import quote

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import media, schema
from ..api.response_cache import NO_STORE, CachedResponse, RawResponse, etag_of, public_cache_control
from ..errors import NotFound, StoreError
from ..model import Node, Relation
from ..ops.middleware import RETRY_AFTER
from ..resources import resource
from ..schema import Prop, T
from ..settings import Settings
from ..store.base import Store
from ..visibility import PUBLIC, is_public, public_media, redacted
from .exporter import EXPORT_KINDS, PAGE

Json = dict[str, Any]

DEFAULT_BASE = "https://w3id.org/heritage-graph/"
VOCAB = "https://w3id.org/heritage-graph/vocab/"
CONTEXT_FILE = resource("static") / "context.jsonld"
MEDIA_TYPE = "application/ld+json"

NAMESPACES: dict[str, str] = {
    "crm": "http://www.cidoc-crm.org/cidoc-crm/",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "schema": "https://schema.org/",
    "hg": VOCAB,
}
# Instance namespaces, under the configurable base.
INSTANCE_PREFIXES = {"hgid": "id/", "hgrel": "relation/", "hgagent": "agent/"}

# -- the mapping -------------------------------------------------------------------

# The CIDOC CRM class of each kind; every node is also typed hg:{Kind}.
KIND_CLASSES: dict[str, str] = {
    "Community": "crm:E74_Group",
    "Tradition": "crm:E7_Activity",
    "Craft": "crm:E7_Activity",
    "Recipe": "crm:E7_Activity",
    "Practitioner": "crm:E21_Person",
    "Place": "crm:E53_Place",
    "Organization": "crm:E74_Group",
    "Source": "crm:E31_Document",
    "Story": "crm:E33_Linguistic_Object",
    "SafeguardingMeasure": "crm:E7_Activity",
}

# Keys of the documents: term -> (IRI, coercion or container). `@id` values are
# IRIs, `@language` a map of language code to text; an xsd type types the literal.
TERMS: dict[str, tuple[str, str | None]] = {
    "identifier": ("dcterms:identifier", None),
    "name": ("rdfs:label", None),
    "names": ("rdfs:label", "@language"),
    "summary": ("crm:P3_has_note", "@language"),
    "note": ("crm:P3_has_note", None),
    "comment": ("rdfs:comment", "@language"),
    "hasType": ("crm:P2_has_type", "@id"),
    "broader": ("crm:P127_has_broader_term", "@id"),
    "subClassOf": ("rdfs:subClassOf", "@id"),
    "confidence": ("hg:hasConfidence", "@id"),
    "sensitivity": ("hg:hasSensitivity", "@id"),
    "status": ("hg:hasStatus", "@id"),
    # provenance
    "wasAttributedTo": ("prov:wasAttributedTo", "@id"),
    "generatedAtTime": ("prov:generatedAtTime", "xsd:dateTime"),
    "modified": ("dcterms:modified", "xsd:dateTime"),
    "wasDerivedFrom": ("prov:wasDerivedFrom", "@id"),
    "documentedIn": ("crm:P70i_is_documented_in", "@id"),
    # relations
    "performed": ("crm:P14i_performed", "@id"),
    "learnedFrom": ("hg:learnedFrom", "@id"),
    "kinOf": ("hg:kinOf", "@id"),
    "memberOf": ("crm:P107i_is_current_or_former_member_of", "@id"),
    "continued": ("crm:P134_continued", "@id"),
    "formsPartOf": ("crm:P9i_forms_part_of", "@id"),
    "associatedWith": ("hg:associatedWith", "@id"),
    "tookPlaceAt": ("crm:P7_took_place_at", "@id"),
    "fallsWithin": ("crm:P89_falls_within", "@id"),
    "residence": ("crm:P74_has_current_or_former_residence", "@id"),
    "certifiedBy": ("hg:certifiedBy", "@id"),
    "isAbout": ("crm:P129_is_about", "@id"),
    "coverPlace": ("hg:coverPlace", "@id"),
    # the reified relation
    "subject": ("rdf:subject", "@id"),
    "predicate": ("rdf:predicate", "@id"),
    "object": ("rdf:object", "@id"),
    "relationType": ("hg:relationType", "@id"),
    "role": ("hg:role", None),
    "period": ("hg:period", None),
    "setting": ("hg:setting", None),
    "kinship": ("hg:hasKinship", "@id"),
    "year": ("hg:year", "xsd:integer"),
    "honour": ("hg:honour", None),
    # node properties
    "unescoInscription": ("hg:unescoInscription", "@id"),
    "unescoList": ("hg:unescoList", "@id"),
    "elementNumber": ("hg:unescoElementNumber", None),
    "resolution": ("hg:resolution", None),
    "viability": ("hg:viability", None),
    "safeguarding": ("hg:safeguarding", None),
    "material": ("hg:material", None),
    "technique": ("hg:technique", None),
    "ingredient": ("hg:ingredient", None),
    "servedWith": ("hg:servedWith", None),
    "occasion": ("hg:occasion", None),
    "birthYear": ("hg:birthYear", "xsd:integer"),
    "deathYear": ("hg:deathYear", "xsd:integer"),
    "lat": ("geo:lat", "xsd:decimal"),
    "long": ("geo:long", "xsd:decimal"),
    "title": ("dcterms:title", None),
    "titles": ("dcterms:title", "@language"),
    "url": ("schema:url", "xsd:anyURI"),
    "publisher": ("dcterms:publisher", None),
    "date": ("dcterms:date", None),
    "body": ("crm:P190_has_symbolic_content", "@language"),
    "consent": ("hg:consent", "@id"),
    "consentGivenBy": ("hg:consentGivenBy", None),
    "consentScope": ("hg:consentScope", "@id"),
    # media
    "associatedMedia": ("schema:associatedMedia", "@id"),
    "contentUrl": ("schema:contentUrl", "xsd:anyURI"),
    "encodingFormat": ("schema:encodingFormat", None),
    "caption": ("schema:caption", "@language"),
    "altText": ("hg:altText", "@language"),
    "creditText": ("schema:creditText", None),
    "license": ("schema:license", "@id"),
    "position": ("schema:position", "xsd:integer"),
    "iiifService": ("hg:iiifImageService", "@id"),
    "sameAs": ("schema:sameAs", "@id"),
    # the UNESCO inventory outline (issue 14): identification, characteristics, people, viability,
    # safeguarding, inscriptions, data gathering, consent, sources
    "altName": ("hg:altName", "@id"),
    "altNameText": ("hg:altNameText", None),
    "language": ("dcterms:language", None),
    "orthography": ("hg:orthography", None),
    "associatedObject": ("hg:associatedObject", None),
    "associatedSpace": ("hg:associatedSpace", None),
    "perceivedOrigin": ("hg:perceivedOrigin", None),
    "transmission": ("hg:transmission", None),
    "unescoDecision": ("hg:unescoDecision", None),
    "submittingState": ("hg:submittingState", None),
    "formerName": ("hg:formerName", None),
    "declaration": ("hg:declaration", "@id"),
    "issuingBody": ("hg:issuingBody", None),
    "threat": ("hg:threat", "@id"),
    "threatDescription": ("hg:threatDescription", None),
    "threatens": ("hg:threatens", "@id"),
    "assessedBy": ("hg:assessedBy", None),
    "sourceId": ("hg:sourceId", None),
    "accessRules": ("hg:accessRules", None),
    "restrictedField": ("hg:restrictedField", None),
    "dataGathering": ("hg:dataGathering", "@id"),
    "gatheringPlace": ("hg:gatheringPlace", None),
    "gatheredBy": ("hg:gatheredBy", None),
    "resourcePerson": ("hg:resourcePerson", None),
    "gatheringConsent": ("hg:gatheringConsent", None),
    "fieldSource": ("hg:fieldSource", "@id"),
    "supportsField": ("hg:supportsField", None),
    "gender": ("hg:gender", None),
    "communityRole": ("hg:communityRole", None),
    "accessed": ("hg:accessed", None),
    "rights": ("dcterms:rights", None),
    "consentBasis": ("hg:consentBasis", "@id"),
    "consentEvidence": ("hg:consentEvidence", None),
    "consentReviewDate": ("hg:consentReviewDate", None),
    "startDate": ("schema:startDate", None),
    "endDate": ("schema:endDate", None),
    "amount": ("schema:amount", "xsd:decimal"),
    "currency": ("schema:currency", None),
    "outcome": ("hg:outcome", None),
    "safeguards": ("hg:safeguards", "@id"),
}

# Node properties (common, per kind, and fields of objects) -> term.
PROP_TERMS: dict[str, str] = {
    "names": "names",
    "summary": "summary",
    "confidence": "confidence",
    "sensitivity": "sensitivity",
    "status": "status",
    "domains": "hasType",
    "unesco": "unescoInscription",
    "list": "unescoList",
    "year": "year",
    "element_no": "elementNumber",
    "resolution": "resolution",
    "viability": "viability",
    "safeguarding": "safeguarding",
    "category": "hasType",
    "materials": "material",
    "techniques": "technique",
    "ingredients": "ingredient",
    "served_with": "servedWith",
    "occasion": "occasion",
    "birth_year": "birthYear",
    "death_year": "deathYear",
    "roles": "role",
    "level": "hasType",
    "lat": "lat",
    "lon": "long",
    "type": "hasType",
    "title": "title",
    "url": "url",
    "publisher": "publisher",
    "date": "date",
    "titles": "titles",
    "body": "body",
    "consent": "consent",
    "given_by": "consentGivenBy",
    "scope": "consentScope",
    "note": "note",
    "media": "associatedMedia",
    "alt_names": "altName",
    "languages": "language",
    "objects": "associatedObject",
    "spaces": "associatedSpace",
    "origin": "perceivedOrigin",
    "transmission": "transmission",
    "decision": "unescoDecision",
    "states": "submittingState",
    "former_names": "formerName",
    "declarations": "declaration",
    "threats": "threat",
    "access_rules": "accessRules",
    "restricted_fields": "restrictedField",
    "gathering": "dataGathering",
    "field_sources": "fieldSource",
    "gender": "gender",
    "community_role": "communityRole",
    "accessed": "accessed",
    "rights": "rights",
    "licence": "license",
    "basis": "consentBasis",
    "evidence": "consentEvidence",
    "review_date": "consentReviewDate",
    "started": "startDate",
    "ended": "endDate",
    "amount": "amount",
    "currency": "currency",
    "outcome": "outcome",
}
# The fields of a media item -> term.
MEDIA_TERMS: dict[str, str] = {
    "url": "contentUrl",
    "kind": "hasType",
    "media_type": "encodingFormat",
    "caption": "caption",
    "alt": "altText",
    "credit": "creditText",
    "licence": "license",
    "sensitivity": "sensitivity",
}
# Object properties whose fields have terms of their own (the others' are in PROP_TERMS).
FIELD_TERMS: dict[str, dict[str, str]] = {
    "media": MEDIA_TERMS,
    "alt_names": {"name": "altNameText", "lang": "language", "type": "hasType", "orthography": "orthography"},
    "declarations": {"level": "hasType", "body": "issuingBody", "resolution": "resolution", "year": "year",
                     "date": "date"},
    "threats": {"threat": "threatDescription", "to": "threatens", "date": "date", "assessed_by": "assessedBy",
                "source": "sourceId"},
    "gathering": {"date": "date", "place": "gatheringPlace", "gathered_by": "gatheredBy",
                  "resource_persons": "resourcePerson", "consent": "gatheringConsent"},
    "field_sources": {"field": "supportsField", "sources": "sourceId", "note": "note"},
}
# The class of a media item, by its kind (schema.org's: the vocabulary media are published in).
MEDIA_CLASSES: dict[str, str] = {
    "image": "schema:ImageObject",
    "audio": "schema:AudioObject",
    "video": "schema:VideoObject",
    "document": "schema:MediaObject",
}
# Node fields written by the code below rather than through PROP_TERMS.
# (`version` is the store's concurrency counter, not a statement about heritage: not published.)
SPECIAL_NODE_FIELDS = ("id", "kind", "name", "recorded_by", "recorded_at", "updated_at", "version")

# Relation properties (their own and the common ones) -> term.
RELATION_PROP_TERMS: dict[str, str] = {
    "role": "role",
    "period": "period",
    "setting": "setting",
    "kinship": "kinship",
    "year": "year",
    "title": "honour",
    "confidence": "confidence",
    "note": "note",
    "sources": "wasDerivedFrom",
    "consent": "consent",
}
SPECIAL_RELATION_FIELDS = ("recorded_by", "recorded_at", "updated_at", "version")

# Relation type -> term, or per kind of the `from` node when the meaning depends on it.
RELATION_TERMS: dict[str, str | dict[str, str]] = {
    "PRACTICES": "performed",
    "PRACTITIONER_OF": "performed",
    "LEARNED_FROM": "learnedFrom",
    "KIN_OF": "kinOf",
    "MEMBER_OF": "memberOf",
    "DERIVED_FROM": "continued",
    "PART_OF": "formsPartOf",
    "ASSOCIATED_WITH": "associatedWith",
    "LOCATED_IN": {
        "Tradition": "tookPlaceAt",
        "Craft": "tookPlaceAt",
        "Recipe": "tookPlaceAt",
        "SafeguardingMeasure": "tookPlaceAt",
        "Place": "fallsWithin",
        "Community": "residence",
        "Practitioner": "residence",
        "Organization": "residence",
    },
    "CERTIFIED_BY": "certifiedBy",
    "FEATURES": "isAbout",
    "COVER_PLACE": "coverPlace",
    "DOCUMENTED_BY": "documentedIn",
    "SAFEGUARDS": "safeguards",
    "CARRIES_OUT": "performed",
}
# Enumerations (by GraphQL name) that are no E55 Type scheme: node kinds are classes, media types are the
# IANA names of formats, given as text.
NOT_A_SCHEME = ("Kind", "MediaType")
RELATION_TYPE_SCHEME = "relation-type"


def relation_term(rel: str, from_kind: str) -> str:
    term = RELATION_TERMS[rel]
    return term if isinstance(term, str) else term[from_kind]


def term_iri(term: str) -> str:
    return TERMS[term][0]


def field_terms(p: Prop) -> dict[str, str]:
    """The terms of an object property's fields."""
    return FIELD_TERMS.get(p.name, PROP_TERMS)


# -- IRIs ----------------------------------------------------------------------


def node_iri(node_id: str) -> str:
    return f"hgid:{node_id}"


def relation_iri(rel: Relation) -> str:
    return f"hgrel:{rel.from_id}/{rel.rel}/{rel.to_id}"


def agent_iri(name: str) -> str:
    return "hgagent:" + quote(name, safe="")


def scheme_slug(gql: str) -> str:
    """TraditionCategory -> tradition-category."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", gql).lower()


def type_iri(scheme: str, value: str) -> str:
    return f"hg:{scheme}/{value}"


# -- the context -----------------------------------------------------------------


def context(base: str = DEFAULT_BASE) -> Json:
    """The JSON-LD @context every document uses (JSON-LD 1.0 features only)."""
    ctx: Json = dict(NAMESPACES)
    ctx.update({prefix: base + path for prefix, path in INSTANCE_PREFIXES.items()})
    for term, (iri, how) in TERMS.items():
        if how is None:
            ctx[term] = iri
        elif how == "@language":
            ctx[term] = {"@id": iri, "@container": "@language"}
        else:
            ctx[term] = {"@id": iri, "@type": how}
    return ctx


def render_context_file(base: str = DEFAULT_BASE) -> str:
    return json.dumps({"@context": context(base)}, ensure_ascii=False, indent=2) + "\n"


# -- enumerations as E55 Type individuals ----------------------------------------------


def _enumerated(props: Iterable[Prop]) -> Iterator[Prop]:
    for p in props:
        if p.allowed and p.gql not in NOT_A_SCHEME:
            yield p
        yield from _enumerated(p.fields)


def schemes() -> dict[str, tuple[str, tuple[tuple[str, str | None], ...]]]:
    """slug -> (what it classifies, ((value, its description or None), ...)), in schema order."""
    props: list[Prop] = [*schema.NODE_COMMON_PROPS]
    for kind in schema.NODE_KINDS:
        props += kind.props
    for rtype in schema.RELATION_TYPES:
        props += [*rtype.props, *schema.RELATION_COMMON_PROPS]
    out: dict[str, tuple[str, tuple[tuple[str, str | None], ...]]] = {}
    for p in _enumerated(props):
        assert p.gql and p.allowed, p.name
        out.setdefault(scheme_slug(p.gql), (p.doc, tuple((v, None) for v in p.allowed)))
    out[RELATION_TYPE_SCHEME] = (
        "The type of a relation, as named in the schema.",
        tuple((r.name, r.doc) for r in schema.RELATION_TYPES),
    )
    return out


def _words(value: str) -> str:
    return re.sub(r"[-_]+", " ", value).lower()


def vocabulary_objects() -> list[Json]:
    """The kind classes and every enumeration's E55 Type individuals."""
    out: list[Json] = []
    for kind in schema.NODE_KINDS:
        out.append({"@id": f"hg:{kind.name}", "@type": "rdfs:Class", "names": {"en": kind.name},
                    "comment": {"en": kind.doc}, "subClassOf": KIND_CLASSES[kind.name]})
    for slug, (doc, values) in schemes().items():
        out.append({"@id": f"hg:{slug}", "@type": "crm:E55_Type", "names": {"en": _words(slug)},
                    "summary": {"en": doc}})
        for value, value_doc in values:
            obj: Json = {"@id": type_iri(slug, value), "@type": "crm:E55_Type", "names": {"en": _words(value)}}
            if value_doc:
                obj["summary"] = {"en": value_doc}
            obj["broader"] = f"hg:{slug}"
            if slug == LICENCE_SCHEME and schema.LICENCE_URLS.get(value):
                obj["sameAs"] = schema.LICENCE_URLS[value]
            out.append(obj)
    return out


LICENCE_SCHEME = "licence"


# -- values ----------------------------------------------------------------------


def _decimal(value: float) -> str:
    """An xsd:decimal lexical form (never exponent notation)."""
    return format(Decimal(repr(float(value))), "f")


_DATE_TYPES = (
    (re.compile(r"^-?\d{4}$"), "xsd:gYear"),
    (re.compile(r"^-?\d{4}-\d{2}$"), "xsd:gYearMonth"),
    (re.compile(r"^-?\d{4}-\d{2}-\d{2}$"), "xsd:date"),
)


def _date(value: str) -> Any:
    for pattern, datatype in _DATE_TYPES:
        if pattern.match(value):
            return {"@value": value, "@type": datatype}
    return value


def _put(obj: Json, term: str, value: Any) -> None:
    """Add a value under a term; a term given twice (e.g. hasType) becomes a list."""
    if value is None or value == [] or value == {}:
        return
    if term not in obj:
        obj[term] = value
        return
    have = obj[term] if isinstance(obj[term], list) else [obj[term]]
    obj[term] = [*have, *(value if isinstance(value, list) else [value])]


def _value(p: Prop, value: Any, owner: str, terms: dict[str, str]) -> Any:
    if p.allowed and p.gql not in NOT_A_SCHEME:
        slug = scheme_slug(p.gql or "")
        if slug == LICENCE_SCHEME and schema.LICENCE_URLS.get(value):
            return schema.LICENCE_URLS[value]  # a licence is linked where it is published
        return [type_iri(slug, v) for v in value] if p.is_list else type_iri(slug, value)
    if p.type is T.FLOAT:
        return _decimal(value)
    if p.type is T.TEXT_MAP:
        return dict(sorted(value.items()))
    if p.type is T.STRING_LIST:
        return list(value)
    if p.type is T.STRUCT:
        inner: Json = {"@id": f"{owner}#{p.name}", "@type": f"hg:{p.gql}"}
        for f in p.fields:
            if value.get(f.name) is not None:
                _put(inner, terms[f.name], _value(f, value[f.name], owner, terms))
        return inner
    if p.type is T.STRUCT_LIST and p.name == schema.MEDIA.name:
        return [_media_object(p, item, owner, n) for n, item in enumerate(value, 1)]
    if p.type is T.STRUCT_LIST:  # alternate names, threats, declarations...: numbered objects of the record
        items = []
        for n, item in enumerate(value, 1):
            iri = f"{owner}#{p.name}-{n}"
            obj: Json = {"@id": iri, "@type": f"hg:{p.gql}", "position": n}
            for f in p.fields:
                if item.get(f.name) is not None:
                    _put(obj, field_terms(p)[f.name], _value(f, item[f.name], iri, field_terms(p)))
            items.append(obj)
        return items
    if p.name == "date":
        return _date(value)
    return value


def _media_object(p: Prop, item: Json, owner: str, position: int) -> Json:
    """One media item: a schema.org media object of its kind, numbered by its position among those shown."""
    iri = f"{owner}#{p.name}-{position}"
    terms = field_terms(p)
    obj: Json = {"@id": iri, "@type": MEDIA_CLASSES[item["kind"]], "position": position}
    for f in p.fields:
        if item.get(f.name) is not None:
            _put(obj, terms[f.name], _value(f, item[f.name], iri, terms))
    found = media.iiif_of(item["url"])
    if found is not None:
        obj["iiifService"] = found.base
    return obj


def _provenance(obj: Json, record: Node | Relation) -> None:
    if record.recorded_by:
        obj["wasAttributedTo"] = agent_iri(record.recorded_by)
    if record.recorded_at:
        obj["generatedAtTime"] = record.recorded_at
    if record.updated_at:
        obj["modified"] = record.updated_at


def agent_object(name: str) -> Json:
    return {"@id": agent_iri(name), "@type": "prov:Agent", "name": name}


# -- nodes and relations -------------------------------------------------------------


def _everyone(_: str) -> bool:
    return True


def node_object(node: Node, shown: Callable[[str], bool] = _everyone) -> Json:
    """The node's own description: types, labels, properties, sources and provenance.

    ``shown`` says which node ids may be linked to; other sources are left out.
    """
    kind = schema.KINDS[node.kind]
    iri = node_iri(node.id)
    obj: Json = {"@id": iri, "@type": [KIND_CLASSES[node.kind], f"hg:{node.kind}"], "identifier": node.id}
    if node.name not in node.names.values():
        obj["name"] = node.name
    _put(obj, "names", dict(sorted(node.names.items())))
    _put(obj, "summary", dict(sorted(node.summary.items())))
    for p in kind.props:
        # Linked data is the anonymous view: only the media items anyone may see.
        value = public_media(node) if p is schema.MEDIA else node.properties.get(p.name)
        if value:
            _put(obj, PROP_TERMS[p.name], _value(p, value, iri, PROP_TERMS))
    common = {p.name: p for p in schema.NODE_COMMON_PROPS}
    for field in ("confidence", "sensitivity", "status"):
        value = getattr(node, field)
        if value:
            _put(obj, PROP_TERMS[field], _value(common[field], value, iri, PROP_TERMS))
    sources = [node_iri(s) for s in sorted(node.sources) if shown(s)]
    _put(obj, "documentedIn", sources)
    _put(obj, "wasDerivedFrom", sources)
    _provenance(obj, node)
    return obj


def statement_object(rel: Relation, from_kind: str, shown: Callable[[str], bool] = _everyone) -> Json:
    """The relation as an rdf:Statement carrying its own properties and provenance."""
    rtype = schema.RELATIONS[rel.rel]
    iri = relation_iri(rel)
    obj: Json = {
        "@id": iri,
        "@type": "rdf:Statement",
        "subject": node_iri(rel.from_id),
        "predicate": term_iri(relation_term(rel.rel, from_kind)),
        "object": node_iri(rel.to_id),
        "relationType": type_iri(RELATION_TYPE_SCHEME, rel.rel),
    }
    for p in rtype.props:
        if rel.properties.get(p.name) is not None:
            _put(obj, RELATION_PROP_TERMS[p.name], _value(p, rel.properties[p.name], iri, RELATION_PROP_TERMS))
    common = {p.name: p for p in schema.RELATION_COMMON_PROPS}
    if rel.confidence:
        _put(obj, "confidence", _value(common["confidence"], rel.confidence, iri, RELATION_PROP_TERMS))
    _put(obj, "note", rel.note)
    _put(obj, "wasDerivedFrom", [node_iri(s) for s in sorted(rel.sources) if shown(s)])
    _provenance(obj, rel)
    return obj


def reified(rel: Relation) -> bool:
    """Relations written from a node's `sources` carry no provenance of their own."""
    return rel.rel not in schema.DERIVED_RELATIONS


def _link(obj: Json, rel: Relation, from_kind: str) -> None:
    """The direct triple of a relation, on the object of its `from` node."""
    target = node_iri(rel.to_id)
    if rel.rel == "DOCUMENTED_BY":  # a node's sources: also what it was derived from
        _put(obj, "documentedIn", [target])
        _put(obj, "wasDerivedFrom", [target])
    else:
        _put(obj, relation_term(rel.rel, from_kind), [target])


def _rel_order(rel: Relation) -> tuple[int, str, str]:
    return (list(schema.RELATIONS).index(rel.rel), rel.from_id, rel.to_id)


def node_document(store: Store, node_id: str, ctx: str | Json) -> Json | None:
    """One node, every relation that leaves or reaches it, and their provenance.

    None when no public, published node has this id: a hidden node reads as one
    that never existed. Relations to hidden nodes, and hidden sources, are left out.
    ``@graph`` order: the node (with the direct triples of its outgoing relations),
    the nodes that point at it (with only those triples), the reified relations
    (outgoing, then incoming, by type and ends) and the agents that recorded them.
    """
    found = store.get_nodes([node_id])
    if not found or not is_public(found[0]):
        return None
    node = redacted(found[0], PUBLIC)  # linked data is public: withheld fields stay out
    outs = [r.name for r in schema.RELATION_TYPES if node.kind in r.from_kinds and r.name not in
            schema.DERIVED_RELATIONS]  # DOCUMENTED_BY out: the node's own `sources`
    ins = [r.name for r in schema.RELATION_TYPES if node.kind in r.to_kinds]
    out_rels = store.relations([node.id], "out", outs) if outs else []
    in_rels = store.relations([node.id], "in", ins) if ins else []
    linked = {r.to_id for r in out_rels} | {r.from_id for r in in_rels} | set(node.sources)
    linked.update(s for r in [*out_rels, *in_rels] for s in r.sources)
    kinds = {n.id: n.kind for n in (store.get_nodes(sorted(linked)) if linked else []) if is_public(n)}
    kinds[node.id] = node.kind
    shown = kinds.__contains__
    out_rels = sorted((r for r in out_rels if shown(r.to_id)), key=_rel_order)
    in_rels = sorted((r for r in in_rels if shown(r.from_id)), key=_rel_order)

    main = node_object(node, shown)
    for rel in out_rels:
        _link(main, rel, node.kind)
    pointing: dict[str, Json] = {}
    for rel in sorted(in_rels, key=lambda r: (r.from_id, _rel_order(r))):
        obj = pointing.setdefault(rel.from_id, {"@id": node_iri(rel.from_id)})
        _link(obj, rel, kinds[rel.from_id])
    statements = [statement_object(r, kinds[r.from_id], shown) for r in [*out_rels, *in_rels] if reified(r)]
    agents = sorted({r.recorded_by for r in [node, *out_rels, *in_rels] if r.recorded_by and
                     (isinstance(r, Node) or reified(r))})
    graph = [main, *pointing.values(), *statements, *map(agent_object, agents)]
    return {"@context": ctx, "@graph": graph}


# -- the whole store -------------------------------------------------------------------


def _all_nodes(store: Store) -> Iterator[Node]:
    for kind in EXPORT_KINDS:
        after: str | None = None
        while True:
            page = store.list_nodes(kind, after=after, limit=PAGE)
            yield from page
            if len(page) < PAGE:
                break
            after = page[-1].id


def export_objects(store: Store, counts: dict[str, int] | None = None) -> Iterator[Json]:
    """The @graph of the whole store: vocabulary, nodes, relations, agents.

    Nodes come in the interchange export's order (kinds in schema order with
    Sources first, then by id); each relation type in schema order yields, per
    relation by (from, to), its direct triple then its rdf:Statement. A node's
    sources are part of its own object, so DOCUMENTED_BY needs no pass of its own.
    Only public, published nodes are published, as over HTTP, and only relations
    between them; ``counts`` gets the nodes, relations and hidden records.
    """
    counts = counts if counts is not None else {}
    for key in ("nodes", "relations", "hidden"):
        counts.setdefault(key, 0)
    yield from vocabulary_objects()
    kinds: dict[str, str] = {}
    agents: set[str] = set()
    shown = kinds.__contains__  # Sources come first, so a node's sources are known by its turn
    for node in _all_nodes(store):
        if not is_public(node):
            counts["hidden"] += 1
            continue
        kinds[node.id] = node.kind
        if node.recorded_by:
            agents.add(node.recorded_by)
        counts["nodes"] += 1
        yield node_object(redacted(node, PUBLIC), shown)
    for rtype in schema.RELATION_TYPES:
        if rtype.name in schema.DERIVED_RELATIONS:
            continue
        for rel in store.iter_relations(rtype.name):
            if not (shown(rel.from_id) and shown(rel.to_id)):
                counts["hidden"] += 1
                continue
            link: Json = {"@id": node_iri(rel.from_id)}
            _link(link, rel, kinds[rel.from_id])
            if rel.recorded_by:
                agents.add(rel.recorded_by)
            counts["relations"] += 1
            yield link
            yield statement_object(rel, kinds[rel.from_id], shown)
    for name in sorted(agents):
        yield agent_object(name)


def export_jsonld(store: Store, out: TextIO, *, base: str = DEFAULT_BASE) -> int:
    """Write the whole store as one JSON-LD document with its context embedded.

    The context is pretty-printed, then each @graph object takes one line, so the
    file streams, diffs well and is byte-identical for the same store. Returns
    the number of records (nodes and relations) written; records that are not
    public and published are left out (``--format jsonl`` keeps everything).
    """
    counts: dict[str, int] = {}
    for chunk in jsonld_chunks(store, counts, base=base):
        out.write(chunk)
    return counts["nodes"] + counts["relations"]


def jsonld_chunks(store: Store, counts: dict[str, int], *, base: str = DEFAULT_BASE) -> Iterator[str]:
    """``export_jsonld``'s text, piece by piece (the service streams it); ``counts`` fills as it goes."""
    head = json.dumps(context(base), ensure_ascii=False, indent=2).replace("\n", "\n  ")
    yield '{\n  "@context": ' + head + ',\n  "@graph": ['
    sep = "\n"
    for obj in export_objects(store, counts):
        yield sep + "    " + json.dumps(obj, ensure_ascii=False)
        sep = ",\n"
    yield "\n  ]\n}\n"


# -- the mapping tables of docs/linked-data.md ----------------------------------------------


def _code(items: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in items)


def render_mapping() -> str:
    """The mapping tables, as docs/linked-data.md holds them (a test compares)."""
    out = ["| kind | rdf:type |", "|---|---|"]
    for kind in schema.NODE_KINDS:
        out.append(f"| `{kind.name}` | `{KIND_CLASSES[kind.name]}`, `hg:{kind.name}` |")
    out += ["", "| relation | from | JSON-LD key | RDF property |", "|---|---|---|---|"]
    for rtype in schema.RELATION_TYPES:
        terms = RELATION_TERMS[rtype.name]
        if isinstance(terms, str):
            out.append(f"| `{rtype.name}` | {_code(rtype.from_kinds)} | `{terms}` | `{term_iri(terms)}` |")
            continue
        groups: dict[str, list[str]] = {}
        for kind in rtype.from_kinds:
            groups.setdefault(terms[kind], []).append(kind)
        for term, kinds in groups.items():
            out.append(f"| `{rtype.name}` | {_code(kinds)} | `{term}` | `{term_iri(term)}` |")
    out += ["", "| field | of | JSON-LD key | RDF property | value |", "|---|---|---|---|---|"]
    for name, owners, terms, value in _field_rows():
        keys = ", ".join(f"`{t}`" for t in terms)
        iris = ", ".join(f"`{term_iri(t)}`" for t in terms)
        out.append(f"| `{name}` | {', '.join(owners)} | {keys} | {iris} | {value} |")
    out += ["", "| enumeration | values | IRI |", "|---|---|---|"]
    for slug, (_, values) in schemes().items():
        shown = ", ".join(f"`{v}`" for v, _ in values)
        out.append(f"| `hg:{slug}` | {shown} | `{VOCAB}{slug}/{{value}}` |")
    return "\n".join(out) + "\n"


def _field_rows() -> list[tuple[str, list[str], tuple[str, ...], str]]:
    """(field, where it occurs, JSON-LD keys, value) for every field of nodes and relations."""
    rows: dict[tuple[str, tuple[str, ...], str], list[str]] = {}

    def add(name: str, owner: str, terms: tuple[str, ...], value: str) -> None:
        owners = rows.setdefault((name, terms, value), [])
        if owner not in owners:
            owners.append(owner)

    def prop(p: Prop, owner: str, table: dict[str, str]) -> None:
        add(p.name, owner, (table[p.name],), _describe(table[p.name], p))

    add("id", "node", ("identifier",), "text")
    add("name", "node", ("name",), "text, only when no `names` entry equals it")
    for p in schema.NODE_COMMON_PROPS:
        if p.name in PROP_TERMS:
            prop(p, "node", PROP_TERMS)
    add("sources", "node", ("documentedIn", "wasDerivedFrom"), "IRI of each Source")
    for kind in schema.NODE_KINDS:
        for p in kind.props:
            prop(p, kind.name, PROP_TERMS)
            for f in p.fields:
                prop(f, f"`{p.name}`", field_terms(p))
    for rtype in schema.RELATION_TYPES:
        for p in rtype.props:
            prop(p, rtype.name, RELATION_PROP_TERMS)
    for p in schema.RELATION_COMMON_PROPS:
        if p.name in RELATION_PROP_TERMS:
            prop(p, "relation", RELATION_PROP_TERMS)
    add("recorded_by", "node, relation", ("wasAttributedTo",), "IRI of a `prov:Agent` `hgagent:{name}`")
    add("recorded_at", "node, relation", ("generatedAtTime",), "`xsd:dateTime`")
    add("updated_at", "node, relation", ("modified",), "`xsd:dateTime`")
    return [(name, owners, terms, value) for (name, terms, value), owners in rows.items()]


def _describe(term: str, p: Prop) -> str:
    how = TERMS[term][1]
    slug = scheme_slug(p.gql or "")
    if p.allowed and slug == LICENCE_SCHEME:
        return (f"IRI of the licence's page (creativecommons.org) where it has one, else of a `crm:E55_Type`: "
                f"`hg:{slug}/{{value}}`")
    if p.allowed and p.gql not in NOT_A_SCHEME:
        return f"IRI of a `crm:E55_Type`: `hg:{slug}/{{value}}`"
    if p.type is T.STRUCT:
        return f"node `hg:{p.gql}`, IRI `{{node}}#{p.name}`"
    if p.type is T.STRUCT_LIST:
        classes = ", ".join(f"`{c}`" for c in dict.fromkeys(MEDIA_CLASSES.values()))
        return (f"a node per item anyone may see ({classes}, by its kind), IRI `{{node}}#{p.name}-{{n}}`, with its "
                "`position` n (`schema:position`, from 1 among the items shown) and, for an IIIF URL, `iiifService` "
                "(`hg:iiifImageService`), the IRI of the image service")
    if p.name == "date":
        return "`xsd:gYear`, `xsd:gYearMonth` or `xsd:date` by its form, else text"
    if how == "@language":
        return "language-tagged text"
    if how == "@id":
        return "IRI of each Source" if p.name == "sources" else "IRI"
    if how:
        return f"`{how}`"
    return "text, one per item" if p.is_list else "text"


# -- HTTP: GET /ld/context.jsonld and GET /ld/{id} -------------------------------------------


async def _context_endpoint(request: Request) -> Response | RawResponse:
    return _public(request, render_context_file().encode("utf-8"))


def context_url(settings: Settings) -> str:
    """The ``@context`` of a node's document: under the configured public URL, else relative (resolved
    against the document's own URL). Never from the request's Host header, which a client chooses: a
    cache behind a proxy would keep the poisoned URL for everyone."""
    return f"{settings.public_url}{CONTEXT_PATH}" if settings.public_url else CONTEXT_PATH


async def _node_endpoint(request: Request) -> Response | RawResponse:
    node_id = request.path_params["id"]
    doc = None
    if schema.ID_PATTERN.fullmatch(node_id):
        ctx = context_url(request.app.state.settings)
        try:
            doc = await to_thread.run_sync(node_document, request.app.state.store, node_id, ctx)
        except StoreError as exc:
            return JSONResponse({"error": {"code": exc.code, "message": "the store failed; try again later"}},
                                status_code=503 if exc.retryable else 500,
                                headers={"cache-control": NO_STORE, **({"retry-after": RETRY_AFTER} if exc.retryable
                                                                      else {})})
    if doc is None:
        return JSONResponse({"error": {"code": NotFound.code, "message": "no node has this id"}}, status_code=404,
                            headers={"cache-control": NO_STORE})
    return _public(request, (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def _public(request: Request, body: bytes) -> RawResponse:
    """A public document with the API's cache headers: ETag (304 on If-None-Match), Cache-Control and
    Vary as for anonymous GraphQL answers, and CORS open to any site."""
    settings = request.app.state.settings
    control = public_cache_control(settings.cache_max_age)
    cached = CachedResponse.of(body, MEDIA_TYPE, etag_of(body, MEDIA_TYPE), control)
    answer = cached.answer(request.headers.get("if-none-match"))
    answer.headers.extend((k.lower().encode("ascii"), v.encode("ascii")) for k, v in CORS.items())
    return answer


# Linked data is public and meant to be fetched by other sites' scripts.
CORS = {"Access-Control-Allow-Origin": "*"}
CONTEXT_PATH = "/ld/context.jsonld"


def routes() -> list[Route]:
    """The linked data routes; the context's comes first, as `context.jsonld` is a valid id."""
    return [
        Route(CONTEXT_PATH, _context_endpoint, methods=["GET"], name="ld-context"),
        Route("/ld/{id}", _node_endpoint, methods=["GET"], name="ld-node"),
    ]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render_context_file()
    if "--check" in args:
        current = CONTEXT_FILE.read_text(encoding="utf-8") if CONTEXT_FILE.exists() else ""
        if current != text:
            print(f"{CONTEXT_FILE} is out of date: run python -m heritage_graph.services.linked_data",
                  file=sys.stderr)
            return 1
        return 0
    CONTEXT_FILE.parent.mkdir(exist_ok=True)
    CONTEXT_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {CONTEXT_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What the inventory holds for the periodic report on an element inscribed on a UNESCO list.

States report every six years on each element they have on the Lists (UNESCO form ICH-10 for the
Representative List, ICH-11 for the Urgent Safeguarding List). ``assemble`` gathers, section by section,
what the inventory records about one inscribed element — the inscription, viability and threats with
their dates, safeguarding measures and who carries them, the communities, groups and practitioners,
consent, and every source behind it — and flags each section that holds nothing, so that the person
drafting the report knows where the inventory is silent. ``markdown`` and ``as_json`` write it out.

It reads through a visibility gate like every other read path: an admin's report holds everything; a
curator's holds what a curator may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import schema
from ..errors import InvalidInput, NotFound
from ..model import Node
from ..store.base import Store
from ..visibility import Gate

REPORT_FORMS = {"representative": "ICH-10", "urgent-safeguarding": "ICH-11", "good-practices": "ICH-10"}


@dataclass
class Section:
    key: str
    title: str
    lines: list[str] = field(default_factory=list)  # Markdown list items
    data: list[dict[str, Any]] = field(default_factory=list)  # the same, as records

    @property
    def empty(self) -> bool:
        return not self.lines


@dataclass
class Report:
    element: Node
    form: str
    sections: list[Section]
    sources: dict[str, Node]

    @property
    def gaps(self) -> list[str]:
        return [s.title for s in self.sections if s.empty]


def _date(item: dict[str, Any], *keys: str) -> str:
    return next((str(item[k]) for k in keys if item.get(k)), "undated")


def assemble(store: Store, gate: Gate, element_id: str) -> Report:
    if element_id not in gate.visible([element_id]):
        raise NotFound(f"no record has the id {element_id!r}")
    element = gate.nodes[element_id]
    if element.kind not in schema.ELEMENT_KINDS:
        raise InvalidInput(f"{element_id!r} is a {element.kind}; a periodic report is about an element "
                           f"({', '.join(schema.ELEMENT_KINDS)})", field="id")
    unesco = element.properties.get("unesco") or {}
    if not unesco.get("list"):
        raise InvalidInput(f"{element.name} ({element_id}) is not recorded as inscribed on a UNESCO list; periodic "
                           "reports are for inscribed elements (record its `unesco` inscription first)", field="id")
    cited: set[str] = set(element.sources)
    sections = [_inscription(element, unesco), _viability(element, cited)]
    measures, organizations = _safeguarding(store, gate, element, cited)
    sections += [measures, organizations, _communities(store, gate, element, cited), _consent(element)]
    for item in element.properties.get("field_sources") or ():
        cited.update(item.get("sources") or ())
    shown = gate.visible(list(cited))
    sources = {n.id: n for n in gate.get_nodes(sorted(i for i in cited if i in shown))}
    source_section = Section("sources", "Sources")
    for s in sources.values():
        props = s.properties
        line = f"{s.name}" + (f" — {props['publisher']}" if props.get("publisher") else "") + \
            (f", {props['date']}" if props.get("date") else "") + (f". {props['url']}" if props.get("url") else "")
        source_section.lines.append(f"{line} [{s.id}]")
        source_section.data.append({"id": s.id, "name": s.name, **{k: props.get(k) for k in
                                                                  ("title", "publisher", "date", "url", "type")}})
    sections.append(source_section)
    return Report(element, REPORT_FORMS.get(unesco["list"], "ICH-10"), sections, sources)


def _inscription(element: Node, unesco: dict[str, Any]) -> Section:
    s = Section("inscription", "A. The element and its inscription")
    s.lines.append(f"{element.name} — {unesco['list']} list, {unesco.get('year', 'year not recorded')}"
                   + (f", element {unesco['element_no']}" if unesco.get("element_no") else "")
                   + (f", decision {unesco['decision']}" if unesco.get("decision") else ""))
    if unesco.get("states"):
        s.lines.append("Submitted with: " + ", ".join(unesco["states"]))
    if unesco.get("former_names"):
        s.lines.append("Formerly inscribed as: " + "; ".join(unesco["former_names"]))
    for d in element.properties.get("declarations") or ():
        s.lines.append(f"{d['level'].capitalize()} declaration: {d.get('resolution') or 'resolution not recorded'}"
                       f" ({d.get('body') or 'body not recorded'}, {_date(d, 'date', 'year')})")
    s.data.append({"name": element.name, "id": element.id, "unesco": unesco,
                   "declarations": element.properties.get("declarations") or []})
    return s


def _viability(element: Node, cited: set[str]) -> Section:
    s = Section("viability", "B. Viability and threats")
    if element.properties.get("viability"):
        s.lines.append(f"Viability: {element.properties['viability']}")
    for t in sorted(element.properties.get("threats") or (), key=lambda t: str(t.get("date") or "")):
        s.lines.append(f"{_date(t, 'date')}: threat to {t.get('to') or 'the element'} — {t['threat']}"
                       + (f" (assessed by {t['assessed_by']})" if t.get("assessed_by") else "")
                       + (f" [{t['source']}]" if t.get("source") else " [no source]"))
        s.data.append(t)
        if t.get("source"):
            cited.add(t["source"])
    return s


def _linked(store: Store, gate: Gate, ids: list[str], rel: str, direction: str) -> list[tuple[Node, Any]]:
    rels = store.relations(ids, direction, [rel]) if ids else []
    others = [r.from_id if direction == "in" else r.to_id for r in rels]
    shown = gate.visible(others)
    nodes = {n.id: n for n in gate.get_nodes([o for o in others if o in shown])}
    return [(nodes[o], r) for o, r in zip(others, rels, strict=True) if o in nodes]


def _safeguarding(store: Store, gate: Gate, element: Node, cited: set[str]) -> tuple[Section, Section]:
    measures = Section("safeguarding", "C. Safeguarding measures")
    organizations = Section("organizations", "D. Organizations and bodies involved")
    seen_orgs: dict[str, str] = {}
    if element.properties.get("safeguarding"):
        measures.lines.append(f"In general: {element.properties['safeguarding']}")
    found = sorted(_linked(store, gate, [element.id], "SAFEGUARDS", "in"),
                   key=lambda x: (str(x[0].properties.get("started") or ""), x[0].id))
    for node, rel in found:
        cited.update((*node.sources, *rel.sources))
        if node.kind == "Organization":
            seen_orgs.setdefault(node.id, f"{node.name} — safeguards the element")
            continue
        p = node.properties
        amount = f", {p['amount']:,.0f} {p.get('currency', '')}".rstrip() if p.get("amount") is not None else ""
        measures.lines.append(f"{_date(p, 'started')}–{p.get('ended') or ''}: {node.name} ({p.get('type', 'measure')}"
                              f"{amount})" + (f" — outcome: {p['outcome']}" if p.get("outcome") else ""))
        measures.data.append({"id": node.id, "name": node.name, **p})
        for org, _ in _linked(store, gate, [node.id], "CARRIES_OUT", "in"):
            seen_orgs.setdefault(org.id, f"{org.name} — carries out {node.name}")
    organizations.lines += list(seen_orgs.values())
    organizations.data += [{"id": k, "role": v} for k, v in seen_orgs.items()]
    return measures, organizations


def _communities(store: Store, gate: Gate, element: Node, cited: set[str]) -> Section:
    s = Section("communities", "E. Communities, groups and practitioners")
    for node, rel in (*_linked(store, gate, [element.id], "PRACTICES", "in"),
                      *_linked(store, gate, [element.id], "PRACTITIONER_OF", "in")):
        cited.update(rel.sources)
        role = rel.properties.get("role")
        consent = node.properties.get("consent") or {}
        s.lines.append(f"{node.name} ({node.kind.lower()}{', ' + role if role else ''}); consent: "
                       f"{consent.get('status') or consent.get('basis') or 'not recorded'}")
        s.data.append({"id": node.id, "name": node.name, "kind": node.kind, "role": role, "consent": consent})
    return s


def _consent(element: Node) -> Section:
    s = Section("consent", "F. Consent and participation")
    consent = element.properties.get("consent") or {}
    if consent:
        s.lines.append(", ".join(f"{k.replace('_', ' ')}: {v if not isinstance(v, list) else '; '.join(v)}"
                                 for k, v in consent.items()))
        s.data.append(consent)
    gathering = element.properties.get("gathering") or {}
    if gathering:
        s.lines.append("Information gathered: " + ", ".join(
            f"{k.replace('_', ' ')}: {v if not isinstance(v, list) else '; '.join(v)}" for k, v in gathering.items()))
        s.data.append({"gathering": gathering})
    if element.properties.get("access_rules"):
        s.lines.append(f"Customary access rules: {element.properties['access_rules']}")
    return s


def markdown(report: Report) -> str:
    e = report.element
    out = [f"# Periodic report ({report.form}): {e.name}", "",
           f"Assembled from the Heritage Graph inventory for element `{e.id}`. Sections marked **no data** hold "
           "nothing in the inventory yet.", ""]
    for s in report.sections:
        out += [f"## {s.title}", ""]
        out += [f"- {line}" for line in s.lines] if s.lines else ["**No data** in the inventory."]
        out.append("")
    if report.gaps:
        out += ["## Gaps", "", *(f"- {g}" for g in report.gaps), ""]
    return "\n".join(out)


def as_json(report: Report) -> dict[str, Any]:
    return {"element": {"id": report.element.id, "name": report.element.name, "kind": report.element.kind},
            "form": report.form, "gaps": report.gaps,
            "sections": [{"key": s.key, "title": s.title, "empty": s.empty, "items": s.data or s.lines}
                         for s in report.sections]}

"""The workspace's relation editor and the record picker.

The editor offers, for a record, only the relation types ``schema.py`` allows from or to its kind, each
naming the kinds the other end may be; the other end is chosen with a search-as-you-type picker
(``/curate/pick``, the search service through the session's visibility gate) or typed as an id.
Each relation carries its confidence, a note, its sources and the properties of its type. Adding and
removing go through the curation service like everything else.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import schema
from ..errors import Conflict, InvalidInput
from ..model import Node
from ..services import discovery
from ..services.curation import Rejected
from ..services.paging import Window
from . import forms
from .curate import Staff, _problem_page, _staff, back, staff_action
from .pages import relation_label

PICK_LIMIT = 12


def choices(kind: str) -> list[dict[str, Any]]:
    """The relations a record of this kind may have: a value ``out:REL`` or ``in:REL`` per side."""
    out = []
    for rtype in schema.RELATION_TYPES:
        if rtype.name in schema.DERIVED_RELATIONS:
            continue  # follows the record's sources
        for outgoing, ends in ((True, [t for f, t in rtype.endpoints if f == kind]),
                               (False, [f for f, t in rtype.endpoints if t == kind])):
            if ends and not (not outgoing and rtype.both_field):  # a symmetric relation: one side is enough
                out.append({"value": f"{'out' if outgoing else 'in'}:{rtype.name}", "rel": rtype.name,
                            "label": relation_label(rtype.name, outgoing), "kinds": tuple(dict.fromkeys(ends)),
                            "fields": forms.relation_fields(rtype.name)})
    return out


def context(s: Staff, node: Node) -> dict[str, Any]:
    types = [r for r in schema.RELATIONS if r not in schema.DERIVED_RELATIONS]
    rels = [(r, True) for r in s.store.relations([node.id], "out", types)]
    rels += [(r, False) for r in s.store.relations([node.id], "in", types)]
    others = {r.to_id if out else r.from_id for r, out in rels}
    shown = s.gate.visible(list(others))
    names = {n.id: n for n in s.gate.get_nodes([i for i in others if i in shown])}
    reviewer = s.principal.at_least("reviewer")
    # As the service decides (Curation._may_link): between records that are not drafts, reviewers only.
    links = [{"relation": r, "outgoing": out, "label": relation_label(r.rel, out),
              "other": names[r.to_id if out else r.from_id],
              "removable": reviewer or "draft" in (node.status, names[r.to_id if out else r.from_id].status)}
             for r, out in sorted(rels, key=lambda x: (x[0].rel, not x[1], x[0].from_id, x[0].to_id))
             if (r.to_id if out else r.from_id) in names]
    cited = s.gate.visible(list(node.sources))
    return {"links": links, "choices": choices(node.kind),
            "sources": [n for n in s.gate.get_nodes([i for i in node.sources if i in cited])]}


async def add_relation(request: Request) -> Response:
    node_id = request.path_params["id"]

    def act(s: Staff, form: FormData) -> Response:
        node = s.node(node_id)
        offered = [c["value"] for c in choices(node.kind)]
        side, _, rel = str(form.get("type", "")).partition(":")
        if str(form.get("type", "")) not in offered:
            allowed = ", ".join(offered)
            return _problem_page(s, node_id, f"type: choose one of the relations a {node.kind} may have: {allowed}",
                                 400)
        other = str(form.get("other", "")).strip()
        fields = forms.relation_fields(rel)
        posted = forms.read_form(_scoped(form, rel), fields, ())
        data: dict[str, Any] = {"rel": rel, "from": node.id if side == "out" else other,
                                "to": other if side == "out" else node.id,
                                "sources": str(form.get("sources", "")).replace(",", " ").split()}
        data |= {k: v for k, v in posted.data.items() if v is not None and k != "properties"}
        data["properties"] = {k: v for k, v in (posted.data.get("properties") or {}).items() if v is not None}
        if not other:
            return _problem_page(s, node_id, "other: choose the record at the other end", 400)
        try:
            s.curation().add_relation(data, reason=str(form.get("reason", "")).strip() or None)
        except Conflict as exc:
            return _problem_page(s, node_id, str(exc), 409)
        except InvalidInput as exc:
            message = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in exc.problems) \
                if isinstance(exc, Rejected) else str(exc)
            return _problem_page(s, node_id, message, 400)
        return back(f"/curate/records/{node_id}", "relation-added")

    return await staff_action(request, act)


def _scoped(form: FormData, rel: str) -> FormData:
    """The inputs of one relation type's fieldset (``REL.confidence`` → ``confidence``)."""
    prefix = f"{rel}."
    return FormData([(k[len(prefix):], v) for k, v in form.multi_items() if k.startswith(prefix)])


async def remove_relation(request: Request) -> Response:
    node_id = request.path_params["id"]

    def act(s: Staff, form: FormData) -> Response:
        s.node(node_id)
        rel, start, end = (str(form.get(k, "")) for k in ("rel", "from", "to"))
        if rel not in schema.RELATIONS:
            raise InvalidInput(f"no relation type {rel!r}", field="rel")
        try:
            version = int(str(form.get("version", "")))
            s.curation().remove_relation(rel, start, end, version, str(form.get("reason", "")).strip() or None)
        except ValueError:
            return _problem_page(s, node_id, "version: the form has no version; reload the page", 400)
        except Conflict:
            return _problem_page(s, node_id, "the relation changed since you opened the page; look again", 409)
        except InvalidInput as exc:
            return _problem_page(s, node_id, str(exc), 400)
        return back(f"/curate/records/{node_id}", "relation-removed")

    return await staff_action(request, act)


async def pick(request: Request) -> Response:
    """Records whose names match what was typed, of the kinds asked for, that the session may see."""
    staff = _staff(request)
    if isinstance(staff, Response):
        return JSONResponse({"error": "sign in first"}, status_code=401)
    text = request.query_params.get("q", "").strip()[:200]
    kinds = [k for k in request.query_params.get("kinds", "").split(",") if k in schema.KINDS]

    def find() -> list[dict[str, str]]:
        if len(text) < 2:
            return []
        exact = [n for n in staff.gate.get_nodes([text]) if n.id in staff.gate.visible([text])]
        try:
            results = discovery.search(staff.store, text, kinds=kinds, page=Window(size=PICK_LIMIT),
                                       visibility=staff.gate.visibility, visible=staff.gate.visible)
        except InvalidInput:
            return [{"id": n.id, "name": n.name, "kind": n.kind} for n in exact]
        found = exact + [h.node for h in results.hits if h.node.id != text]
        shown = staff.gate.visible([n.id for n in found])
        return [{"id": n.id, "name": n.name, "kind": n.kind} for n in found
                if n.id in shown and (not kinds or n.kind in kinds)][:PICK_LIMIT]

    return JSONResponse(await run_in_threadpool(find), headers={"cache-control": "private, no-store"})

"""The curation workspace: what waits for me, record forms, the review workflow and conflicts.

Every page needs a signed-in session (``sessions.py``) of a curator or above; anyone else is sent to
``/login``. Every change goes through the curation service (``services/curation.py``) as the session's
principal, exactly as a GraphQL mutation with a token of that role would: the same checks, the same
revisions, the same refusals, nothing new underneath. A form that the service refuses comes back with
what was typed and each problem beside its input; a save against a version that someone else changed
meanwhile is never written: the conflict page shows both versions, field by field, to merge.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .. import history, schema
from ..auth import Principal
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..interchange import node_to_json
from ..model import Node
from ..services import proposals, review_queue
from ..services.curation import TRANSITIONS, Curation, Rejected, rejection
from ..visibility import Gate, Visibility
from . import forms
from .pages import changes, shown_value
from .render import render
from .sessions import Forbidden as FormForbidden
from .sessions import forbidden, form_of

QUEUE_SIZE = 200
EDITABLE = ("name", "names", "summary", "confidence", "sensitivity")
# What a finished action says on the page it returns to (?done=…); only these words are shown.
DONE = ("created", "saved", "proposed", "merged", "submit", "approve", "reject", "retire", "restore",
        "relation-added", "relation-removed", "approve-proposal", "reject-proposal", "withdraw-proposal")


@dataclass
class Staff:
    """A signed-in member of staff and what they may see."""

    request: Request
    principal: Principal
    gate: Gate

    @property
    def store(self) -> Any:
        return self.request.app.state.store

    def curation(self) -> Curation:
        return Curation(self.store, self.principal, self.request.app.state.settings.field_limits)

    def node(self, node_id: str) -> Node:
        if node_id not in self.gate.visible([node_id]):
            raise NotFound(f"no record has the id {node_id!r}")
        return self.gate.nodes[node_id]


def _staff(request: Request) -> Staff | Response:
    principal = request.scope.get("principal")
    if not isinstance(principal, Principal) or "session" not in request.scope:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/?=&')}", status_code=303)
    if not principal.at_least("curator"):
        return render(request, "forbidden.html", {"principal": principal,
                                                  "message": "the workspace is for curators, reviewers and admins"},
                      status=403)
    store = request.app.state.store
    return Staff(request, principal, Gate(store, Visibility.of(principal)))


async def staff_page(request: Request, template: str, work: Callable[[Staff], dict[str, Any] | Response],
                     role: str = "curator") -> Response:
    staff = _staff(request)
    if isinstance(staff, Response):
        return staff
    if not staff.principal.at_least(role):
        return render(request, "forbidden.html", {"principal": staff.principal,
                                                  "message": f"this page needs the {role} role"}, status=403)
    try:
        context = await run_in_threadpool(work, staff)
    except NotFound as exc:
        return render(request, "not_found.html", {"principal": staff.principal, "message": str(exc)}, status=404)
    except Forbidden as exc:
        return render(request, "forbidden.html", {"principal": staff.principal, "message": str(exc)}, status=403)
    if isinstance(context, Response):
        return context
    done = request.query_params.get("done")
    return render(request, template, {"principal": staff.principal, "done": done if done in DONE else None,
                                      **context})


async def staff_action(request: Request, act: Callable[[Staff, FormData], Response]) -> Response:
    """A posted form: CSRF-checked, then ``act`` in a worker thread; refusals become pages."""
    staff = _staff(request)
    if isinstance(staff, Response):
        return staff
    try:
        form = await form_of(request)
    except FormForbidden as exc:
        return forbidden(request, exc)
    try:
        return await run_in_threadpool(act, staff, form)
    except NotFound as exc:
        return render(request, "not_found.html", {"principal": staff.principal, "message": str(exc)}, status=404)
    except Forbidden as exc:
        return render(request, "forbidden.html", {"principal": staff.principal, "message": str(exc)}, status=403)


def back(path: str, done: str) -> Response:
    return RedirectResponse(f"{path}?done={done}", status_code=303)


# -- the dashboard ---------------------------------------------------------------------------------------
def _dashboard(s: Staff) -> dict[str, Any]:
    me = s.principal.actor
    drafts_only = s.gate.visibility.narrowed(["draft"], "status")
    drafts = sorted((n for k in schema.KINDS for n in s.store.list_nodes(k, visibility=drafts_only)
                     if n.recorded_by == me), key=lambda n: (n.updated_at or "", n.id), reverse=True)
    revisions = s.store.revisions([n.id for n in drafts]) if drafts else []  # one read for every draft
    returned = {n.id: found.reason or "" for n in drafts if (found := rejection(n, revisions)) is not None}
    waiting = review_queue.queue(s.store, s.gate, QUEUE_SIZE)
    mine = [p for p in proposals.gather(s.store.revisions_by_op(proposals.OPS)) if p.proposed_by == me]
    shown = s.gate.visible([p.node_id for p in mine])
    names = {n.id: n.name for n in s.gate.get_nodes([p.node_id for p in mine if p.node_id in shown])}
    return {
        "drafts": [n for n in drafts if n.id not in returned], "returned": [(n, returned[n.id]) for n in drafts
                                                                             if n.id in returned],
        "submitted": [w for w in waiting if w.proposal is None and w.by == me],
        "my_proposals": [(p, names[p.node_id]) for p in reversed(mine) if p.node_id in names][:50],
        "queue": waiting if s.principal.at_least("reviewer") else [],
        "reviewer": s.principal.at_least("reviewer"), "admin": s.principal.role == "admin",
        "kinds": list(schema.KINDS),
    }


async def dashboard(request: Request) -> Response:
    return await staff_page(request, "curate/dashboard.html", _dashboard)


# -- record forms ----------------------------------------------------------------------------------------
def _form_context(s: Staff, kind: str, data: dict[str, Any], creating: bool,
                  problems: list[tuple[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    fields = forms.record_fields(kind, creating=creating, admin=s.principal.role == "admin")
    wanted = list(data.get("sources") or [])
    shown = s.gate.visible(wanted)
    cited = [n for n in s.gate.get_nodes(wanted) if n.id in shown]
    return {"kind": kind, "fields": fields, "values": forms.values_of(data, fields),
            "langs": forms.languages_in(data, fields), "creating": creating, "problems": problems or [],
            "errors": {p for p, _ in problems or []}, "cited": cited, "source_fields": _source_fields(),
            "source_values": extra.pop("source_values", {}), "lang_names": forms.LANGUAGE_NAMES, **extra}


def _source_fields() -> list[forms.Field]:
    return [f for f in forms.record_fields("Source", creating=False, admin=False) if f.path.startswith("properties.")]


def _problems_of(exc: InvalidInput) -> list[tuple[str, str]]:
    if isinstance(exc, Rejected):
        return [(forms.problem_path(p.field), p.message) for p in exc.problems]
    return [(forms.problem_path(exc.field), str(exc))]


def _wanted_sources(s: Staff, form: FormData, base: list[str]) -> list[str]:
    kept = [str(v) for v in form.getlist("sources")] if "sources-shown" in form else list(base)
    added = str(form.get("sources.add", "")).replace(",", " ").split()
    return list(dict.fromkeys([*kept, *added]))


def _new_source(s: Staff, form: FormData) -> tuple[str | None, list[tuple[str, str]], dict[str, Any]]:
    """A Source created from the form's "new source" inputs, as a draft: its id, or the problems."""
    fields = _source_fields()
    posted = forms.read_form(form, [forms.Field(f.path.replace("properties.", "source."), f.label, f.widget,
                                                f.choices) for f in fields], ())
    given = {k: v for k, v in posted.data.items() if v is not None}
    if not given:
        return None, [], {}
    values = {f"source.{k.split('.', 1)[1]}": v for k, v in given.items()}
    props = {k.split(".", 1)[1]: v for k, v in given.items()}
    title = str(props.get("title") or props.get("url") or "")
    if not props.get("title"):
        return None, [("source.title", "a new source needs a title")], values
    data = {"kind": "Source", "id": f"{forms.slug(title, 50)}-{secrets.token_hex(2)}", "name": title,
            "properties": props}
    try:
        done = s.curation().create_node(data, reason="created with a record in the workspace")
    except InvalidInput as exc:
        return None, [(p.replace("properties.", "source."), m) for p, m in _problems_of(exc)], values
    assert done.record is not None
    return done.record.id, [], {}


def _read_record(s: Staff, form: FormData, kind: str, creating: bool,
                 langs: tuple[str, ...]) -> forms.Posted:
    fields = forms.record_fields(kind, creating=creating, admin=s.principal.role == "admin")
    return forms.read_form(form, fields, langs)


async def new_record(request: Request) -> Response:
    kind = request.query_params.get("kind", "")

    def work(s: Staff) -> dict[str, Any]:
        if kind not in schema.KINDS:
            return {"kinds": list(schema.KINDS), "kind": None}
        return _form_context(s, kind, {"sensitivity": "public"}, creating=True)

    return await staff_page(request, "curate/record_form.html", work)


async def create_record(request: Request) -> Response:
    def act(s: Staff, form: FormData) -> Response:
        kind = str(form.get("kind", ""))
        if kind not in schema.KINDS:
            raise NotFound(f"no kind {kind!r}; kinds: {', '.join(schema.KINDS)}")
        langs = tuple(str(v) for v in form.getlist("langs")) or forms.LANGUAGES
        posted = _read_record(s, form, kind, True, langs)
        data = {"kind": kind, **{k: v for k, v in posted.data.items() if v is not None}}
        if not data.get("id"):
            data["id"] = f"{forms.slug(str(data.get('name') or kind))}-{secrets.token_hex(2)}"
        data["properties"] = {k: v for k, v in (data.get("properties") or {}).items() if v is not None}
        sources = _wanted_sources(s, form, [])
        problems = list(posted.problems)
        new_source, source_problems, source_values = _new_source(s, form) if not problems else (None, [], {})
        problems += source_problems
        if new_source:
            sources.append(new_source)
        data["sources"] = sources
        if not problems:
            try:
                done = s.curation().create_node(data, reason=str(form.get("reason", "")).strip() or None)
                assert done.record is not None
                return back(f"/curate/records/{done.record.id}", "created")
            except InvalidInput as exc:
                problems = _problems_of(exc)
        return render(s.request, "curate/record_form.html",
                      {"principal": s.principal, **_form_context(s, kind, data, True, problems,
                                                                 source_values=source_values)}, status=400)

    return await staff_action(request, act)


async def edit_record(request: Request) -> Response:
    node_id = request.path_params["id"]

    def work(s: Staff) -> dict[str, Any]:
        node = s.node(node_id)
        return _form_context(s, node.kind, node_to_json(node), creating=False, node=node)

    return await staff_page(request, "curate/record_form.html", work)


def _patch(data: dict[str, Any], kind: str) -> dict[str, Any]:
    """An update of every field the form has: an emptied one is removed."""
    props = dict.fromkeys((p.name for p in schema.KINDS[kind].props), None) | dict(data.get("properties") or {})
    return {**{k: data.get(k) for k in EDITABLE}, "properties": props, "sources": list(data.get("sources") or [])}


def _save(s: Staff, node: Node, expected: int, data: dict[str, Any], reason: str | None, done: str) -> Response:
    try:
        result = s.curation().update_node(node.id, expected, _patch(data, node.kind), reason)
    except Conflict:
        return _conflict_page(s, node.id, expected, data, reason)
    return back(f"/curate/records/{node.id}", "proposed" if result.revision.op == proposals.PROPOSE else done)


async def update_record(request: Request) -> Response:
    node_id = request.path_params["id"]

    def act(s: Staff, form: FormData) -> Response:
        node = s.node(node_id)
        expected = _version(form)
        langs = tuple(str(v) for v in form.getlist("langs")) or forms.LANGUAGES
        posted = _read_record(s, form, node.kind, False, langs)
        data = {"kind": node.kind, "id": node.id, **posted.data}
        data["sources"] = _wanted_sources(s, form, list(node.sources))
        problems = list(posted.problems)
        new_source, source_problems, source_values = _new_source(s, form) if not problems else (None, [], {})
        problems += source_problems
        if new_source:
            data["sources"].append(new_source)
        reason = str(form.get("reason", "")).strip() or None
        if not problems:
            try:
                return _save(s, node, expected, data, reason, "saved")
            except InvalidInput as exc:
                problems = _problems_of(exc)
        return render(s.request, "curate/record_form.html",
                      {"principal": s.principal, **_form_context(s, node.kind, data, False, problems, node=node,
                                                                 based_on=expected, source_values=source_values)},
                      status=400)

    return await staff_action(request, act)


def _version(form: FormData) -> int:
    try:
        return int(str(form.get("version", "")))
    except ValueError:
        raise InvalidInput("the form has no version; reload the page", field="version") from None


# -- conflicts -------------------------------------------------------------------------------------------
@dataclass
class Difference:
    key: str  # name, names, …, properties.<name>, sources
    mine: Any
    theirs: Any
    base: Any

    @property
    def i_changed(self) -> bool:
        return self.mine != self.base


def _flat(data: dict[str, Any] | None) -> dict[str, Any]:
    data = data or {}
    out = {k: data.get(k) for k in (*EDITABLE, "sources")}
    out |= {f"properties.{k}": v for k, v in (data.get("properties") or {}).items()}
    return {k: (v if v not in ("", [], {}) else None) for k, v in out.items()}


def _differences(mine: dict[str, Any], current: Node, base: dict[str, Any] | None) -> list[Difference]:
    m, t, b = _flat(mine), _flat(node_to_json(current)), _flat(base)
    keys = sorted({*m, *t}, key=lambda k: ((*EDITABLE, "sources").index(k) if "." not in k else 99, k))
    return [Difference(k, m.get(k), t.get(k), b.get(k)) for k in keys if m.get(k) != t.get(k)]


def _conflict_page(s: Staff, node_id: str, expected: int, mine: dict[str, Any], reason: str | None) -> Response:
    current = s.node(node_id)
    base = next((v.after for v in s.store.revisions([node_id])
                 if v.target == node_id and v.version == expected and v.after), None)
    diffs = _differences(mine, current, base)
    shown = [(d, shown_value(d.mine), shown_value(d.theirs)) for d in diffs]
    return render(s.request, "curate/conflict.html", {
        "principal": s.principal, "node": current, "expected": expected, "rows": shown, "reason": reason or "",
        "mine": json.dumps(mine, ensure_ascii=False, sort_keys=True)}, status=409)


async def merge_record(request: Request) -> Response:
    node_id = request.path_params["id"]

    def act(s: Staff, form: FormData) -> Response:
        node = s.node(node_id)
        try:
            mine = json.loads(str(form.get("mine", "")))
        except json.JSONDecodeError:
            raise InvalidInput("the merge form was damaged; edit the record again", field="mine") from None
        merged, current = _flat(mine), _flat(node_to_json(node))
        for key in {*merged, *current}:
            if form.get(f"pick.{key}") == "theirs":
                merged[key] = current.get(key)
        data: dict[str, Any] = {k: merged.get(k) for k in (*EDITABLE, "sources")}
        data["properties"] = {k.split(".", 1)[1]: v for k, v in merged.items() if k.startswith("properties.")}
        reason = str(form.get("reason", "")).strip() or None
        try:
            return _save(s, node, _version(form), data, reason, "merged")
        except InvalidInput as exc:
            return render(s.request, "curate/record_form.html", {
                "principal": s.principal, **_form_context(s, node.kind, {"kind": node.kind, "id": node.id, **data},
                                                          False, _problems_of(exc), node=node, based_on=node.version)},
                status=400)

    return await staff_action(request, act)


# -- the record in the workspace -------------------------------------------------------------------------
def _last_published(node: Node, revisions: list[Any]) -> dict[str, Any] | None:
    states = [v.after for v in revisions if v.target == node.id and v.after
              and v.after.get("status", "published") == "published"]
    return states[-1] if states else None


async def record(request: Request) -> Response:
    node_id = request.path_params["id"]

    def work(s: Staff) -> dict[str, Any]:
        from . import curate_links

        node = s.node(node_id)
        revisions = s.store.revisions([node.id])  # read once: rejection, published state and proposals
        published = _last_published(node, revisions)
        diff = changes(published, history.snapshot(node), system=False) if node.status != "published" else []
        open_proposals = [p for p in proposals.gather(revisions) if p.open]
        rejected = rejection(node, revisions)
        allowed = [op for op, (states, _, role) in TRANSITIONS.items()
                   if node.status in states and s.principal.at_least(role)]
        return {"node": node, "kind": schema.KINDS[node.kind], "rejected": rejected, "diff": diff,
                "published": published is not None, "proposals": open_proposals, "actions": allowed,
                **curate_links.context(s, node)}

    return await staff_page(request, "curate/record.html", work)


async def workflow(request: Request) -> Response:
    node_id = request.path_params["id"]

    def act(s: Staff, form: FormData) -> Response:
        op = str(form.get("op", ""))
        if op not in TRANSITIONS:
            raise NotFound(f"no action {op!r}; actions: {', '.join(TRANSITIONS)}")
        comment = str(form.get("comment", "")).strip() or None
        try:
            s.curation().transition(op, node_id, _version(form), comment)
        except Conflict:
            return _problem_page(s, node_id, "the record changed since you opened it; look at it again and "
                                             "repeat the action", 409)
        except InvalidInput as exc:
            return _problem_page(s, node_id, str(exc), 400)
        return back(f"/curate/records/{node_id}", op)

    return await staff_action(request, act)


def _problem_page(s: Staff, node_id: str, message: str, status: int) -> Response:
    return render(s.request, "curate/problem.html", {"principal": s.principal, "message": message,
                                                     "back": f"/curate/records/{node_id}"}, status=status)


# -- proposals -------------------------------------------------------------------------------------------
async def proposal(request: Request) -> Response:
    pid = request.path_params["pid"]

    def work(s: Staff) -> dict[str, Any]:
        found = s.curation().proposal(pid)
        node = s.node(found.node_id)
        return {"proposal": found, "node": node, "diff": changes(found.before, found.after, system=False),
                "mine": found.proposed_by == s.principal.actor}

    return await staff_page(request, "curate/proposal.html", work)


async def close_proposal(request: Request) -> Response:
    pid = request.path_params["pid"]

    def act(s: Staff, form: FormData) -> Response:
        op = str(form.get("op", ""))
        if op not in proposals.CLOSING:
            raise NotFound(f"no action {op!r}; actions: {', '.join(proposals.CLOSING)}")
        comment = str(form.get("comment", "")).strip() or None
        try:
            _, ended = s.curation().close_proposal(op, pid, comment)
        except Conflict as exc:
            return render(s.request, "curate/problem.html", {"principal": s.principal, "message": str(exc),
                                                             "back": f"/curate/proposals/{pid}"}, status=409)
        except InvalidInput as exc:
            return render(s.request, "curate/problem.html", {"principal": s.principal, "message": str(exc),
                                                             "back": f"/curate/proposals/{pid}"}, status=400)
        return back(f"/curate/records/{ended.node_id}", proposals.CLOSING[op])

    return await staff_action(request, act)


# -- the UNESCO periodic report (services/unesco_report.py) ---------------------------------------------
async def unesco_report_page(request: Request) -> Response:
    from ..services import unesco_report

    node_id = request.path_params["id"]
    fmt = request.query_params.get("format", "html")

    def work(s: Staff) -> dict[str, Any] | Response:
        try:
            found = unesco_report.assemble(s.store, s.gate, node_id)
        except InvalidInput as exc:
            return _problem_page(s, node_id, str(exc), 400)
        if fmt == "md":
            return Response(unesco_report.markdown(found), media_type="text/markdown; charset=utf-8", headers={
                "content-disposition": f'attachment; filename="periodic-report-{node_id}.md"',
                "cache-control": "private, no-store"})
        if fmt == "json":
            return Response(json.dumps(unesco_report.as_json(found), ensure_ascii=False, indent=2),
                            media_type="application/json", headers={
                                "content-disposition": f'attachment; filename="periodic-report-{node_id}.json"',
                                "cache-control": "private, no-store"})
        return {"report": found, "node": found.element}

    return await staff_page(request, "curate/report.html", work)

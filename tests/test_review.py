"""Review underneath the workspace: changes proposed to published records, the review queue, status
filters, and a rejection's comment as a field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import PERSISTENT, fresh_store
from .test_curation import CREATE, NEW, SUBMIT, UPDATE, Api, seeded_world

PROPOSAL = "id recordId state proposedBy baseVersion reason before after comment closedBy"
PROPOSE = """mutation($id: ID!, $v: Int!, $patch: NodePatch!, $reason: String) {
  updateNode(id: $id, expectedVersion: $v, patch: $patch, reason: $reason) {
    __typename
    ... on ChangeProposed { node { id version name } proposal { PROPOSAL } }
    ... on NodeSaved { node { id version name } }
    ... on ForbiddenError { message }
    ... on VersionConflict { message currentVersion }
  } }""".replace("PROPOSAL", PROPOSAL)
CLOSE = """mutation($id: ID!, $c: String!) {
  CLOSING_OP(id: $id, comment: $c) {
    __typename
    ... on ProposalClosed { node { id version name status } proposal { PROPOSAL } revision { op actor version } }
    ... on VersionConflict { message currentVersion }
    ... on InvalidInputError { problems { field message } }
    ... on ForbiddenError { message }
    ... on NotFoundError { message }
  } }"""
NAME = 'query($id: ID!) { node(id: $id) { name version } }'
HISTORY = 'query($id: ID!) { history(id: $id) { op actor reason after } }'
PROPOSALS = 'query($id: ID!, $all: Boolean) { proposals(id: $id, openOnly: $all) { PROPOSAL } }'.replace(
    "PROPOSAL", PROPOSAL)


@pytest.fixture(scope="module", params=PERSISTENT)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Api]]:
    with fresh_store(request, tmp_path_factory.mktemp("review")) as store:
        yield from seeded_world(store)


def close(api: Api, op: str, proposal: str, comment: str = "seen") -> dict:
    return api(CLOSE.replace("CLOSING_OP", op).replace("PROPOSAL", PROPOSAL), id=proposal, c=comment)[op]


def test_a_curator_proposes_and_a_reviewer_publishes(world: dict[str, Api]) -> None:
    curator, reviewer, anon = world["curator"], world["reviewer"], world["anonymous"]
    before = anon(NAME, id="ceramica-quinua")["node"]
    proposed = curator(PROPOSE, id="ceramica-quinua", v=before["version"], patch={"name": "Cerámica de Quinua"},
                       reason="the community's own name")["updateNode"]
    assert proposed["__typename"] == "ChangeProposed"
    p = proposed["proposal"]
    assert p["state"] == "OPEN" and p["baseVersion"] == before["version"] and p["proposedBy"] == "curator-ana"
    assert p["after"]["name"] == "Cerámica de Quinua" and p["before"]["name"] == before["name"]
    # everyone still reads the published record, and its public history and asOf know nothing of it
    assert anon(NAME, id="ceramica-quinua")["node"] == before
    assert "Cerámica de Quinua" not in str(anon(HISTORY, id="ceramica-quinua"))
    assert [x["id"] for x in curator(PROPOSALS, id="ceramica-quinua")["proposals"]] == [p["id"]]

    queue = reviewer("{ reviewQueue { node { id } proposal { id } by } }")["reviewQueue"]
    assert {"node": {"id": "ceramica-quinua"}, "proposal": {"id": p["id"]}, "by": "curator-ana"} in queue

    approved = close(reviewer, "approveChange", p["id"], "checked with the association")
    assert approved["__typename"] == "ProposalClosed"
    assert approved["node"]["name"] == "Cerámica de Quinua" and approved["node"]["status"] == "PUBLISHED"
    assert approved["node"]["version"] == before["version"] + 1
    assert approved["proposal"]["state"] == "APPROVED" and approved["proposal"]["closedBy"] == "reviewer-ana"
    assert anon(NAME, id="ceramica-quinua")["node"]["name"] == "Cerámica de Quinua"
    assert curator(PROPOSALS, id="ceramica-quinua")["proposals"] == []
    staff = [h["op"] for h in curator(HISTORY, id="ceramica-quinua")["history"]]
    assert staff[-3:] == ["propose", "approve-proposal", "approve-proposal"]
    public = anon(HISTORY, id="ceramica-quinua")["history"]
    assert [h["op"] for h in public][-1] == "approve-proposal" and "propose" not in [h["op"] for h in public]
    again = close(reviewer, "approveChange", p["id"])
    assert again["__typename"] == "InvalidInputError" and "already approved" in again["problems"][0]["message"]


def test_two_proposals_cannot_overwrite_each_other(world: dict[str, Api]) -> None:
    curator, reviewer, anon = world["curator"], world["reviewer"], world["anonymous"]
    v = anon(NAME, id="tablas-de-sarhua")["node"]["version"]
    first = curator(PROPOSE, id="tablas-de-sarhua", v=v, patch={"name": "Tablas de Sarhua (1)"})["updateNode"]
    second = curator(PROPOSE, id="tablas-de-sarhua", v=v, patch={"name": "Tablas de Sarhua (2)"})["updateNode"]
    assert close(reviewer, "approveChange", first["proposal"]["id"])["__typename"] == "ProposalClosed"
    stale = close(reviewer, "approveChange", second["proposal"]["id"])
    assert stale["__typename"] == "VersionConflict" and stale["currentVersion"] == v + 1
    assert "propose the change again" in stale["message"]
    assert anon(NAME, id="tablas-de-sarhua")["node"]["name"] == "Tablas de Sarhua (1)"
    # a proposal based on a version that is no longer current is refused when made
    late = curator(PROPOSE, id="tablas-de-sarhua", v=v, patch={"name": "Tablas (3)"})["updateNode"]
    assert late["__typename"] == "VersionConflict"


def test_rejected_and_withdrawn_proposals(world: dict[str, Api]) -> None:
    curator, reviewer, anon = world["curator"], world["reviewer"], world["anonymous"]
    v = anon(NAME, id="piedra-de-huamanga")["node"]["version"]
    p = curator(PROPOSE, id="piedra-de-huamanga", v=v, patch={"name": "Piedra de Huamanga"})["updateNode"]["proposal"]
    no_comment = close(reviewer, "rejectChange", p["id"], " ")
    assert no_comment["problems"][0]["field"] == "comment"
    assert close(curator, "rejectChange", p["id"])["__typename"] == "ForbiddenError"
    rejected = close(reviewer, "rejectChange", p["id"], "keep the official name")
    assert rejected["proposal"]["state"] == "REJECTED" and rejected["proposal"]["comment"] == "keep the official name"
    assert anon(NAME, id="piedra-de-huamanga")["node"]["version"] == v
    listed = curator(PROPOSALS, id="piedra-de-huamanga", all=False)["proposals"]
    assert [(x["state"], x["comment"]) for x in listed] == [("REJECTED", "keep the official name")]
    q = curator(PROPOSE, id="piedra-de-huamanga", v=v, patch={"name": "Piedra"})["updateNode"]["proposal"]
    withdrawn = curator("""mutation($id: ID!) { withdrawChange(id: $id, reason: "wrong record") {
        __typename ... on ProposalClosed { proposal { state comment } } } }""", id=q["id"])["withdrawChange"]
    assert withdrawn == {"__typename": "ProposalClosed", "proposal": {"state": "WITHDRAWN", "comment": "wrong record"}}
    assert close(reviewer, "approveChange", q["id"])["__typename"] == "InvalidInputError"


def test_review_is_staff_work(world: dict[str, Api]) -> None:
    for role in ("anonymous", "researcher"):
        r = world[role].client.post("/graphql", headers=world[role].headers, json={
            "query": '{ proposals(id: "retablo-ayacuchano") { id } }'}).json()
        assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    r = world["curator"].client.post("/graphql", headers=world["curator"].headers, json={
        "query": "{ reviewQueue { since } }"}).json()
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert close(world["curator"], "approveChange", "rev-nothing")["__typename"] == "ForbiddenError"
    assert close(world["reviewer"], "approveChange", "rev-nothing")["__typename"] == "NotFoundError"


def test_queue_status_filters_and_the_rejection_comment(world: dict[str, Api]) -> None:
    curator, reviewer, anon = world["curator"], world["reviewer"], world["anonymous"]
    curator(CREATE, input={**NEW, "id": "fiesta-en-cola", "name": "Fiesta en cola"})
    curator(SUBMIT, id="fiesta-en-cola", v=1)
    queue = reviewer("{ reviewQueue { node { id status } proposal { id } by since } }")["reviewQueue"]
    assert {"node": {"id": "fiesta-en-cola", "status": "IN_REVIEW"}, "proposal": None, "by": "curator-ana"} in [
        {k: v for k, v in item.items() if k != "since"} for item in queue]
    assert [i["since"] for i in queue] == sorted(i["since"] for i in queue)

    in_review = '{ traditions(filter: {status: [IN_REVIEW]}, first: 200) { totalCount edges { node { id status } } } }'
    found = curator(in_review)["traditions"]
    assert {"id": "fiesta-en-cola", "status": "IN_REVIEW"} in [e["node"] for e in found["edges"]]
    assert all(e["node"]["status"] == "IN_REVIEW" for e in found["edges"]) and found["totalCount"] == len(
        found["edges"])
    hits = curator('{ search(query: "fiesta cola", status: [IN_REVIEW]) { edges { node { id } } } }')["search"]
    assert [e["node"]["id"] for e in hits["edges"]] == ["fiesta-en-cola"]
    assert curator('{ search(query: "fiesta cola", status: [PUBLISHED]) { totalCount } }')["search"][
        "totalCount"] == 0
    for who, query, field in (("anonymous", in_review, "filter.status"),
                              ("researcher", '{ search(query: "fiesta", status: [DRAFT]) { totalCount } }',
                               "status")):
        r = world[who].client.post("/graphql", headers=world[who].headers, json={"query": query}).json()
        assert r["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
        assert "allowed: PUBLISHED" in r["errors"][0]["message"]
    assert anon('{ traditions(filter: {status: [PUBLISHED]}) { totalCount } }')["traditions"]["totalCount"] == \
        anon("{ traditions { totalCount } }")["traditions"]["totalCount"]

    comment = 'query($id: ID!) { node(id: $id) { reviewComment } }'
    assert curator(comment, id="fiesta-en-cola")["node"]["reviewComment"] is None
    reviewer("""mutation { reject(id: "fiesta-en-cola", expectedVersion: 2, comment: "add the district") {
        __typename } }""")
    assert curator(comment, id="fiesta-en-cola")["node"]["reviewComment"] == "add the district"
    curator(UPDATE, id="fiesta-en-cola", v=3, patch={"name": "Fiesta en cola (2)"})
    assert curator(comment, id="fiesta-en-cola")["node"]["reviewComment"] == "add the district", \
        "open until the draft is submitted again"
    curator(SUBMIT, id="fiesta-en-cola", v=4)
    assert curator(comment, id="fiesta-en-cola")["node"]["reviewComment"] is None
    assert anon(comment, id="retablo-ayacuchano")["node"]["reviewComment"] is None


@pytest.mark.parametrize("role", ["anonymous", "researcher"])
def test_readers_never_see_proposals(world: dict[str, Api], role: str) -> None:
    curator, reader = world["curator"], world[role]
    v = reader(NAME, id="retablo-ayacuchano")["node"]["version"]
    secret = f"informant phone 555-{role}"
    curator(PROPOSE, id="retablo-ayacuchano", v=v, patch={"name": f"Retablo ({role})"}, reason=secret)
    seen = str(reader(HISTORY, id="retablo-ayacuchano")) + str(reader(NAME, id="retablo-ayacuchano"))
    seen += str(reader('{ node(id: "retablo-ayacuchano", asOf: "2999-01-01T00:00:00Z") { name } }'))
    assert secret not in seen and f"Retablo ({role})" not in seen

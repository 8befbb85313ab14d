"""The core GraphQL API, end to end over HTTP against the seeded app."""

from __future__ import annotations

import json

import pytest

from .conftest import Client, GraphQLClient

NODE_QUERY = """
query($id: ID!) { node(id: $id) {
  id kind name names { lang text } summaries { lang text } confidence sensitivity sources { id url }
  ... on Practitioner { birthYear roles
    teachers { node { id name } period setting sources { id } confidence }
    students { node { id } }
    kin { kinship nodeKinship direction node { id } }
    practices { role node { id kind } }
    locatedIn { node { id } } }
  ... on Tradition { category domains unesco { list year elementNo } declarations { level year resolution }
    communities { node { id } } locatedIn { node { id } } }
} }"""


def test_healthz(client: Client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "store": "ladybug"}


def test_node_as_its_concrete_type_with_relations_both_ways(gql: GraphQLClient) -> None:
    urbano = gql(NODE_QUERY, id="jesus-urbano-rojas")["node"]
    assert urbano["kind"] == "PRACTITIONER" and urbano["name"] == "Jesús Urbano Rojas"
    assert {t["lang"] for t in urbano["summaries"]} >= {"es", "en"}
    assert urbano["sources"] and all(s["url"].startswith("http") for s in urbano["sources"])
    teachers = {t["node"]["id"]: t for t in urbano["teachers"]}
    assert "joaquin-lopez-antay" in teachers
    assert teachers["joaquin-lopez-antay"]["sources"], "a relation shows its sources"
    lopez = gql(NODE_QUERY, id="joaquin-lopez-antay")["node"]
    assert "jesus-urbano-rojas" in {s["node"]["id"] for s in lopez["students"]}
    assert any(p["node"]["id"] == "retablo-ayacuchano" for p in lopez["practices"])


def test_kin_reads_from_the_viewer(gql: GraphQLClient) -> None:
    urbano = gql(NODE_QUERY, id="jesus-urbano-rojas")["node"]
    kin = {k["node"]["id"]: k for k in urbano["kin"]}
    # seeds: Jesús Urbano Rojas KIN_OF Lourdes Urbano Cárdenas {kinship: parent} — so she is his child.
    assert kin["lourdes-urbano-cardenas"]["kinship"] == "PARENT"
    assert kin["lourdes-urbano-cardenas"]["nodeKinship"] == "CHILD"
    assert kin["lourdes-urbano-cardenas"]["direction"] == "OUT"
    lopez = gql(NODE_QUERY, id="joaquin-lopez-antay")["node"]
    kin = {k["node"]["id"]: k for k in lopez["kin"]}
    # seeds: Manuela Momediano KIN_OF López Antay {kinship: grandparent} — read from his side, inward.
    assert kin["manuela-momediano"]["kinship"] == "GRANDPARENT"
    assert kin["manuela-momediano"]["nodeKinship"] == "GRANDPARENT"
    assert kin["manuela-momediano"]["direction"] == "IN"
    # Kin who practise nothing (his son Mardonio López) are not public until consent is recorded.
    assert "mardonio-lopez" not in kin


def test_unesco_element(gql: GraphQLClient) -> None:
    data = gql('{ traditions(filter: {region: "pe-cusco"}, first: 100) { edges { node { id name '
               '... on Tradition { unesco { list year elementNo } } } } } }')
    unesco = {e["node"]["id"]: e["node"]["unesco"] for e in data["traditions"]["edges"] if e["node"]["unesco"]}
    qoy = [v for k, v in unesco.items() if "qoyllur" in k]
    assert qoy and qoy[0]["year"] == 2011 and qoy[0]["list"] == "REPRESENTATIVE"


def test_nodes_keeps_order_and_nulls(gql: GraphQLClient) -> None:
    data = gql('{ nodes(ids: ["pe-puno", "nope", "pe"]) { id kind } }')
    assert data["nodes"] == [{"id": "pe-puno", "kind": "PLACE"}, None, {"id": "pe", "kind": "PLACE"}]


@pytest.mark.parametrize("listing", ["traditions", "crafts", "recipes", "practitioners", "communities", "places",
                                     "organizations", "sources"])
def test_every_listing_pages_through_everything(gql: GraphQLClient, listing: str) -> None:
    seen: list[str] = []
    after = None
    total = None
    while True:
        data = gql(f"query($after: String) {{ {listing}(first: 7, after: $after) {{ totalCount "
                   "pageInfo { hasNextPage endCursor } edges { cursor node { id kind } } } }", after=after)[listing]
        total = data["totalCount"]
        seen += [e["node"]["id"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert total > 0 and len(seen) == total == len(set(seen))
    assert seen == sorted(seen)


def test_region_filter_includes_nested_places(gql: GraphQLClient) -> None:
    q = 'query($r: ID) { crafts(filter: {region: $r}, first: 100) { totalCount edges { node { id } } } }'
    ayacucho = gql(q, r="pe-ayacucho")["crafts"]
    ids = {e["node"]["id"] for e in ayacucho["edges"]}
    assert "retablo-ayacuchano" in ids
    assert ayacucho["totalCount"] == len(ids)
    peru = gql(q, r="pe")["crafts"]["totalCount"]
    assert peru >= ayacucho["totalCount"]
    assert gql.errors(q, r="nowhere")[0]["extensions"]["field"] == "filter.region"


def test_domain_filter(gql: GraphQLClient) -> None:
    q = ('query($d: Domain) { traditions(filter: {domain: $d}, first: 200) { totalCount '
         'edges { node { ... on Tradition { domains } } } } }')
    data = gql(q, d="PERFORMING_ARTS")["traditions"]
    assert data["totalCount"] > 0
    assert all("PERFORMING_ARTS" in e["node"]["domains"] for e in data["edges"])


def test_lineage_of_jesus_urbano_rojas(gql: GraphQLClient) -> None:
    data = gql('{ lineage(id: "jesus-urbano-rojas", direction: ANCESTORS) { root { id } '
               'nodes { depth node { id name kind } } edges { from to type sources { id } } } }')["lineage"]
    depths = {n["node"]["id"]: n["depth"] for n in data["nodes"]}
    assert depths["joaquin-lopez-antay"] == 1
    assert depths["manuela-momediano"] == 2
    assert len(depths) == len(data["nodes"]), "each node once"
    edges = {(e["from"], e["to"]) for e in data["edges"]}
    assert ("jesus-urbano-rojas", "joaquin-lopez-antay") in edges
    assert all(e["type"] == "LEARNED_FROM" and e["sources"] for e in data["edges"])


def test_lineage_descendants_and_depth_cap(gql: GraphQLClient) -> None:
    data = gql('{ lineage(id: "manuela-momediano", direction: DESCENDANTS, maxDepth: 1) '
               '{ nodes { depth node { id } } } }')["lineage"]
    assert {n["node"]["id"] for n in data["nodes"]} == {"joaquin-lopez-antay"}
    assert all(n["depth"] == 1 for n in data["nodes"])
    deeper = gql('{ lineage(id: "manuela-momediano", direction: DESCENDANTS) { nodes { depth node { id } } } }')
    assert {n["node"]["id"]: n["depth"] for n in deeper["lineage"]["nodes"]}["jesus-urbano-rojas"] == 2


def test_path_between_practitioners(gql: GraphQLClient) -> None:
    data = gql('{ path(from: "jesus-urbano-rojas", to: "manuela-momediano") { length nodes { id name kind } '
               'edges { type from to } } }')["path"]
    assert data["length"] == 2 == len(data["edges"])
    assert [n["id"] for n in data["nodes"]] == ["jesus-urbano-rojas", "joaquin-lopez-antay", "manuela-momediano"]
    only_kin = gql('{ path(from: "jesus-urbano-rojas", to: "manuela-momediano", relationTypes: [KIN_OF]) '
                   '{ length } }')
    assert only_kin["path"] is None


def test_path_leaves_out_documented_by_unless_asked(gql: GraphQLClient) -> None:
    data = gql('{ path(from: "src-unesco-culture-ich-en-rl-00166", to: "taquile-textile-art") { length } }')
    assert data["path"] is None or data["path"]["length"] > 1
    asked = gql('{ path(from: "src-unesco-culture-ich-en-rl-00166", to: "taquile-textile-art", '
                'relationTypes: [DOCUMENTED_BY]) { length edges { type } } }')
    assert asked["path"] == {"length": 1, "edges": [{"type": "DOCUMENTED_BY"}]}


def test_an_unknown_node_is_null_but_unknown_ends_of_walks_are_errors(gql: GraphQLClient) -> None:
    assert gql('{ node(id: "nope") { id } }') == {"node": None}
    for query, field in (('{ lineage(id: "nope") { root { id } } }', "id"),
                         ('{ path(from: "nope", to: "pe") { length } }', "from"),
                         ('{ path(from: "pe", to: "nope") { length } }', "to")):
        (error,) = gql.errors(query)
        assert error["extensions"] == {"code": "NOT_FOUND", "field": field}
        assert error["message"] == f"{field}: no record has the id 'nope'"


def test_a_hidden_end_reads_exactly_like_a_missing_one() -> None:
    from heritage_graph.app import create_app
    from heritage_graph.model import Node
    from heritage_graph.settings import Settings
    from heritage_graph.store.memory import MemoryStore

    from .conftest import Client

    store = MemoryStore()
    store.write([Node("Place", "pe", "Perú", properties={"level": "country"}),
                 Node("Tradition", "zz-secret", "Secreto", sensitivity="restricted")], [])
    client = Client(create_app(Settings(), store=store))
    try:
        gql = GraphQLClient(client)
        hidden = gql.errors('{ path(from: "zz-secret", to: "pe") { length } }')
        missing = gql.errors('{ path(from: "zz-absent", to: "pe") { length } }')
    finally:
        client.close()
    assert hidden and json.dumps(hidden).replace("zz-secret", "ID") == json.dumps(missing).replace("zz-absent", "ID")


def test_path_is_null_only_when_both_ends_exist_and_nothing_connects_them(gql: GraphQLClient) -> None:
    data = gql('{ path(from: "pe", to: "jesus-urbano-rojas", maxDepth: 1, relationTypes: [KIN_OF]) { length } }')
    assert data == {"path": None}


@pytest.mark.parametrize(("query", "field", "text"), [
    ('{ traditions(first: -1) { totalCount } }', "first", "between 0 and 200"),
    ('{ places(first: 100000) { totalCount } }', "first", "between 0 and 200"),
    ('{ lineage(id: "pe", maxDepth: 21) { root { id } } }', "maxDepth", "between 1 and 20"),
    ('{ lineage(id: "pe", maxDepth: 0) { root { id } } }', "maxDepth", "between 1 and 20"),
    ('{ path(from: "pe", to: "pe-puno", maxDepth: 50) { length } }', "maxDepth", "between 1 and 20"),
    ('{ crafts(after: "garbage") { totalCount } }', "after", "not a cursor"),
])
def test_out_of_range_arguments_say_the_allowed_range(gql: GraphQLClient, query: str, field: str, text: str) -> None:
    errors = gql.errors(query)
    assert text in errors[0]["message"]
    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


def test_source_lists_what_it_documents(gql: GraphQLClient) -> None:
    data = gql('{ node(id: "src-unesco-culture-ich-en-rl-00166") { ... on Source { title url type '
               'documents { node { id } } } } }')["node"]
    assert data["type"] == "WEB"
    assert "taquile-textile-art" in {d["node"]["id"] for d in data["documents"]}


@pytest.mark.parametrize(("error", "code", "message"), [
    ("query", "STORE_QUERY_ERROR", "The store could not answer this request."),
    ("unavailable", "STORE_UNAVAILABLE", "The store is unavailable; try again shortly."),
])
def test_store_failures_keep_their_code_but_not_the_databases_text(error: str, code: str, message: str) -> None:
    from heritage_graph.app import create_app
    from heritage_graph.errors import StoreQueryError, StoreUnavailable
    from heritage_graph.settings import Settings
    from heritage_graph.store.memory import MemoryStore

    class Failing(MemoryStore):
        def get_nodes(self, ids):  # type: ignore[no-untyped-def]
            cls = StoreQueryError if error == "query" else StoreUnavailable
            raise cls("Binder exception: table Node at /srv/secret/graph.lbdb has no column x")

    client = Client(create_app(Settings(cache_entries=0), store=Failing()))
    body = client.post("/graphql", json={"query": '{ node(id: "pe") { id } }'}).json()
    client.close()
    assert body["data"] == {"node": None}
    assert body["errors"][0]["message"] == message
    assert body["errors"][0]["extensions"]["code"] == code
    assert "secret" not in str(body)


LISTINGS = ("communities", "traditions", "crafts", "recipes", "practitioners", "organizations")


def test_regions_are_the_places_region_filters_take_with_what_they_hold(gql: GraphQLClient) -> None:
    regions = gql("{ regions { place { id ... on Place { level } } count } }")["regions"]
    assert regions and all(r["place"]["level"] == "DEPARTMENT" for r in regions)
    assert [r["place"]["id"] for r in regions] == sorted(r["place"]["id"] for r in regions)
    busiest = sorted(regions, key=lambda r: -r["count"])[:3] + [r for r in regions if r["count"] == 0][:1]
    for region in busiest:
        rid = region["place"]["id"]
        totals = sum(gql(f'query($r: ID) {{ {f}(filter: {{region: $r}}) {{ totalCount }} }}', r=rid)[f]["totalCount"]
                     for f in LISTINGS)
        totals += gql("query($r: ID) { stories(region: $r) { totalCount } }", r=rid)["stories"]["totalCount"]
        assert totals == region["count"], rid
    provinces = gql("{ regions(level: PROVINCE) { place { id } } }")["regions"]
    assert provinces and not {p["place"]["id"] for p in provinces} & {r["place"]["id"] for r in regions}


@pytest.mark.parametrize(("query", "field"), [
    ('{ traditions(filter: {region: "pe-atlantida"}) { totalCount } }', "filter.region"),
    ('{ search(query: "fiesta", region: "pe-atlantida") { totalCount } }', "region"),
    ('{ stories(region: "pe-atlantida") { totalCount } }', "region"),
    ('{ traditions(filter: {region: "retablo-ayacuchano"}) { totalCount } }', "filter.region"),
])
def test_an_unknown_region_is_an_error_naming_it(gql: GraphQLClient, query: str, field: str) -> None:
    [error] = gql.errors(query)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert field in error["message"] and "regions" in error["message"]

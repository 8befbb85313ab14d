"""Relay paging on every connection: forward with first/after, backward with last/before, and a
PageInfo (hasPreviousPage, hasNextPage, startCursor, endCursor) that tells the truth on each page."""

from __future__ import annotations

import pytest

from .conftest import GraphQLClient

PAGE_INFO = "pageInfo { hasPreviousPage hasNextPage startCursor endCursor }"
CONNECTIONS = {
    "traditions": "traditions({args}) {{ totalCount {page_info} edges {{ cursor node {{ id }} }} }}",
    "cusco": "cusco: traditions(filter: {{region: \"pe-cusco\"}}, {args}) {{ totalCount {page_info} "
             "edges {{ cursor node {{ id }} }} }}",
    "practitioners": "practitioners({args}) {{ totalCount {page_info} edges {{ cursor node {{ id }} }} }}",
    "places": "places({args}) {{ totalCount {page_info} edges {{ cursor node {{ id }} }} }}",
    "sources": "sources({args}) {{ totalCount {page_info} edges {{ cursor node {{ id }} }} }}",
    "stories": "stories({args}) {{ totalCount {page_info} edges {{ cursor node {{ id }} }} }}",
    "search": "search(query: \"danza\", {args}) {{ totalCount {page_info} edges {{ cursor node {{ id }} }} }}",
}


def page(gql: GraphQLClient, field: str, args: str) -> dict:
    return gql("{ " + CONNECTIONS[field].format(args=args, page_info=PAGE_INFO) + " }")[field]


def check_info(got: dict) -> None:
    info, edges = got["pageInfo"], got["edges"]
    assert info["startCursor"] == (edges[0]["cursor"] if edges else None)
    assert info["endCursor"] == (edges[-1]["cursor"] if edges else None)


@pytest.mark.parametrize("field", CONNECTIONS)
def test_forward_and_backward_walks_see_the_same_records(gql: GraphQLClient, field: str) -> None:
    everything = [e["node"]["id"] for e in page(gql, field, "first: 200")["edges"]]
    assert len(everything) > 7, "the seeds give every connection several pages of 3"
    forward: list[str] = []
    cursor = None
    while True:
        got = page(gql, field, "first: 3" + (f', after: "{cursor}"' if cursor else ""))
        check_info(got)
        assert got["pageInfo"]["hasPreviousPage"] == bool(forward)
        forward += [e["node"]["id"] for e in got["edges"]]
        assert got["pageInfo"]["hasNextPage"] == (len(forward) < len(everything))
        if not got["pageInfo"]["hasNextPage"]:
            break
        cursor = got["pageInfo"]["endCursor"]
    backward: list[str] = []
    cursor = None
    while True:
        got = page(gql, field, "last: 3" + (f', before: "{cursor}"' if cursor else ""))
        check_info(got)
        assert len(got["edges"]) == min(3, len(everything) - len(backward))
        assert got["pageInfo"]["hasNextPage"] == bool(backward)
        backward = [e["node"]["id"] for e in got["edges"]] + backward
        assert got["pageInfo"]["hasPreviousPage"] == (len(backward) < len(everything))
        if not got["pageInfo"]["hasPreviousPage"]:
            break
        cursor = got["pageInfo"]["startCursor"]
    assert forward == backward == everything


@pytest.mark.parametrize("field", CONNECTIONS)
def test_a_window_between_two_cursors(gql: GraphQLClient, field: str) -> None:
    edges = page(gql, field, "first: 200")["edges"]
    ids = [e["node"]["id"] for e in edges]
    after, before = edges[1]["cursor"], edges[6]["cursor"]
    between = page(gql, field, f'after: "{after}", before: "{before}", first: 200')
    assert [e["node"]["id"] for e in between["edges"]] == ids[2:6]
    assert between["pageInfo"]["hasPreviousPage"] and between["pageInfo"]["hasNextPage"]
    tail = page(gql, field, f'after: "{after}", before: "{before}", last: 2')
    assert [e["node"]["id"] for e in tail["edges"]] == ids[4:6]
    assert tail["pageInfo"]["hasPreviousPage"] and tail["pageInfo"]["hasNextPage"]
    head = page(gql, field, f'after: "{after}", before: "{before}", first: 2')
    assert [e["node"]["id"] for e in head["edges"]] == ids[2:4]
    assert head["totalCount"] == len(ids), "totalCount counts every match, not the window"


@pytest.mark.parametrize("field", CONNECTIONS)
def test_an_empty_page_still_knows_its_neighbours(gql: GraphQLClient, field: str) -> None:
    edges = page(gql, field, "first: 200")["edges"]
    none = page(gql, field, f'last: 0, before: "{edges[3]["cursor"]}"')
    assert none["edges"] == [] and none["pageInfo"]["startCursor"] is None
    assert none["pageInfo"]["hasNextPage"]
    assert not page(gql, field, f'first: 3, after: "{edges[-1]["cursor"]}"')["pageInfo"]["hasNextPage"]


@pytest.mark.parametrize(("args", "field", "text"), [
    ("first: 2, last: 2", "last", "give one of them"),
    ("last: 201", "last", "last must be between 0 and 200, got 201"),
    ("last: -1", "last", "last must be between 0 and 200"),
    ('before: "bm9wZQ=="', "before", "is not a cursor returned by this API"),
])
@pytest.mark.parametrize("connection", ["traditions", "search"])
def test_bad_paging_arguments_name_the_argument(gql: GraphQLClient, connection: str, args: str, field: str,
                                                text: str) -> None:
    [error] = gql.errors("{ " + CONNECTIONS[connection].format(args=args, page_info=PAGE_INFO) + " }")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert text in error["message"]

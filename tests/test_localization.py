"""Text in the reader's language: lang arguments, Accept-Language, fallbacks."""

from __future__ import annotations

import pytest

from heritage_graph.api.context import preferred_language
from heritage_graph.api.types import localized

from .conftest import Client


@pytest.mark.parametrize(("header", "lang"), [
    ("en-GB,en;q=0.9,es;q=0.8", "en"), ("es-PE", "es"), ("fr;q=0.2, qu;q=0.9", "qu"), ("*", None), ("", None),
    ("en;q=0", None), ("de;q=bad, es", "es"),
])
def test_accept_language_header(header: str, lang: str | None) -> None:
    assert preferred_language(header) == lang


def test_fallback_order() -> None:
    texts = {"en": "Scissors dance", "es": "Danza de tijeras", "qu": "Danzaq"}
    assert localized(texts, "qu") == "Danzaq"
    assert localized(texts, "fr") == "Danza de tijeras"
    assert localized({"en": "E", "qu": "Q"}, "fr") == "E"
    assert localized({"qu": "Q", "ay": "A"}, "fr") == "A"
    assert localized(texts, "es-PE") == "Danza de tijeras"
    assert localized({}, "es") is None


QUERY = '{ node(id: "scissors-dance") { name summary nameEn: name(lang: "en") summaryEs: summary(lang: "es") } }'


def _post(client: Client, headers: dict[str, str] | None = None) -> dict:
    r = client.post("/graphql", json={"query": QUERY}, headers=headers or {})
    return r.json()["data"]["node"]


def test_lang_argument_and_header(client: Client) -> None:
    plain = _post(client)
    english = _post(client, {"Accept-Language": "en-US,en;q=0.9"})
    assert plain["nameEn"] == english["name"] != plain["name"]
    assert english["summary"] != plain["summaryEs"]
    assert plain["summary"] == plain["summaryEs"], "without a language, Spanish comes first"
    spanish = _post(client, {"Accept-Language": "es"})
    assert spanish["summary"] == plain["summaryEs"]

"""The web application: the public explorer (pages.py), drawn from templates (render.py) in the
visitor's language (i18n.py), for the principal identity.py finds, with pictures drawn on the server
(pictures.py); signing in to the workspace (sessions.py). Served by `heritage-graph serve` beside GraphQL,
on the same port."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..resources import resource
from . import pages, sessions


def routes() -> list[BaseRoute]:
    return [
        Route("/", pages.home, methods=["GET"]),
        Route("/search", pages.search, methods=["GET"]),
        Route("/records/{id}", pages.record, methods=["GET"]),
        Route("/records/{id}/lineage", pages.lineage, methods=["GET"]),
        Route("/records/{id}/history", pages.record_history, methods=["GET"]),
        Route("/records/{id}/lineage.svg", pages.lineage_svg, methods=["GET"]),
        Route("/path", pages.path, methods=["GET"]),
        Route("/stories", pages.stories, methods=["GET"]),
        Route("/stories/{id}", pages.story, methods=["GET"]),
        Route("/login", sessions.login, methods=["GET", "POST"]),
        Route("/logout", sessions.logout, methods=["POST"]),
        Mount("/static/web", app=StaticFiles(directory=resource("static") / "web"), name="web-static"),
    ]

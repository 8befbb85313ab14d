"""The web application: the public explorer (pages.py), drawn from templates (render.py) in the
visitor's language (i18n.py), for the principal identity.py finds, with pictures drawn on the server
(pictures.py); signing in (sessions.py) and the curation workspace (curate*.py). Served by
`heritage-graph serve` beside GraphQL, on the same port."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..resources import resource
from . import curate, curate_admin, curate_export, curate_import, curate_links, pages, sessions


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
        # The curation workspace (curate.py, curate_links.py, curate_admin.py, curate_import.py): signed-in staff only.
        Route("/curate", curate.dashboard, methods=["GET"]),
        Route("/curate/new", curate.new_record, methods=["GET"]),
        Route("/curate/new", curate.create_record, methods=["POST"]),
        Route("/curate/pick", curate_links.pick, methods=["GET"]),
        Route("/curate/records/{id}", curate.record, methods=["GET"]),
        Route("/curate/records/{id}/edit", curate.edit_record, methods=["GET"]),
        Route("/curate/records/{id}/edit", curate.update_record, methods=["POST"]),
        Route("/curate/records/{id}/merge", curate.merge_record, methods=["POST"]),
        Route("/curate/records/{id}/workflow", curate.workflow, methods=["POST"]),
        Route("/curate/records/{id}/report", curate.unesco_report_page, methods=["GET"]),
        Route("/curate/records/{id}/relations", curate_links.add_relation, methods=["POST"]),
        Route("/curate/records/{id}/relations/remove", curate_links.remove_relation, methods=["POST"]),
        Route("/curate/proposals/{pid}", curate.proposal, methods=["GET"]),
        Route("/curate/proposals/{pid}", curate.close_proposal, methods=["POST"]),
        Route("/curate/users", curate_admin.users, methods=["GET"]),
        Route("/curate/users", curate_admin.create_user, methods=["POST"]),
        Route("/curate/users/{username}/{op}", curate_admin.switch_user, methods=["POST"]),
        Route("/curate/export", curate_export.export, methods=["GET"]),
        Route("/curate/tokens", curate_admin.tokens, methods=["GET"]),
        Route("/curate/tokens", curate_admin.create_api_token, methods=["POST"]),
        Route("/curate/tokens/{token_id}/revoke", curate_admin.revoke_api_token, methods=["POST"]),
        Route("/curate/import", curate_import.form, methods=["GET"]),
        Route("/curate/import", curate_import.check_upload, methods=["POST"]),
        Route("/curate/import/confirm", curate_import.confirm, methods=["POST"]),
        Mount("/static/web", app=StaticFiles(directory=resource("static") / "web"), name="web-static"),
    ]

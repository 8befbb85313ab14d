"""The ``heritage-graph`` command: init, import, export, template, seed, serve, token, user, report, backup,
restore.

Exit status: 0 success, 1 invalid input (nothing written), 2 bad usage,
3 the store failed or could not be opened.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .auth import TOKEN_ROLES
from .errors import HeritageGraphError, InvalidInput, NotFound, StoreError, StoreLocked
from .resources import resource
from .schema import DEFAULT_LIMITS, FieldLimits
from .services.exporter import export_to
from .services.import_stream import NEO4J_BATCH, NEO4J_BATCH_MIN
from .services.importer import FORMATS, ImportReport, count_lines, run_import
from .services.linked_data import export_jsonld
from .settings import Settings
from .store import open_store
from .store.base import Store

if TYPE_CHECKING:
    from .ops.metrics import ImportMetrics
    from .remote import Service

PROGRESS_MIN_LINES = 5000
F = TypeVar("F", bound=Callable[..., Any])


def _fail(exc: HeritageGraphError) -> None:
    click.echo(f"error: {exc}", err=True)
    for note in getattr(exc, "__notes__", ()):  # what a batched import had committed, and how to finish it
        click.echo(note, err=True)
    sys.exit(3 if isinstance(exc, StoreError) else 1)


@contextmanager
def _store(ctx: click.Context) -> Iterator[Store]:
    settings: Settings = ctx.obj
    try:
        store = open_store(settings)
    except StoreLocked as exc:
        command = " ".join(ctx.command_path.split()[1:])
        hint = (f"; while it runs, `heritage-graph {command} … --url http://{settings.host}:{settings.port}` with an "
                "admin token in HERITAGE_TOKEN asks the service" if _takes_url(ctx) else "")
        if command.startswith("user "):
            hint = ("; stop the service first, or, signed in as an admin, manage users while it runs in the "
                    "workspace at /curate/users")
        _fail(StoreLocked(f"{exc}{hint}"))
    except HeritageGraphError as exc:
        _fail(exc)
    try:
        yield store
    except HeritageGraphError as exc:
        _fail(exc)
    finally:
        store.close()


def _takes_url(ctx: click.Context) -> bool:
    return any(p.name == "url" for p in ctx.command.params)


def service_options(fn: F) -> F:
    """--url and --token: ask the service running at URL instead of opening the store here."""
    fn = click.option("--token", "secret", envvar="HERITAGE_TOKEN", default=None, metavar="TOKEN",
                      help="An admin token, for --url [env HERITAGE_TOKEN].")(fn)
    return click.option("--url", default=None, metavar="URL",
                        help="Ask the service running at URL (e.g. http://127.0.0.1:8000), as is needed while "
                             "`serve` holds the embedded store. Without it, the store is opened here.")(fn)


def _service(url: str, secret: str | None) -> Service:
    from .remote import Service

    try:
        return Service(url, secret)
    except HeritageGraphError as exc:
        _fail(exc)
        raise


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="heritage-graph", message="%(prog)s %(version)s")
@click.option("--db", type=click.Path(file_okay=False, path_type=Path), envvar="HERITAGE_DB",
              help="Folder of the embedded store [env HERITAGE_DB; default ./data/heritage]. "
                   "Ignored when NEO4J_URI is set.")
@click.pass_context
def main(ctx: click.Context, db: Path | None) -> None:
    """Heritage Graph: an inventory of intangible cultural heritage as a graph, served through GraphQL.

    The store is the embedded LadybugDB folder (--db), or Neo4j when NEO4J_URI is set.
    """
    try:
        ctx.obj = Settings.from_env().with_overrides(db_path=db)
    except HeritageGraphError as exc:
        _fail(exc)


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the store's tables, constraints and indexes (safe to run again)."""
    with _store(ctx) as store:
        click.echo(f"initialised the {store.dialect} store")


def _import(store: Store, files: list[Path], dry_run: bool, actor: str, max_line: int,
            limits: FieldLimits = DEFAULT_LIMITS, fmt: str | None = None,
            batch_size: int | None = None) -> ImportReport:
    total = count_lines(files) if fmt in (None, "jsonl") else 0
    if total < PROGRESS_MIN_LINES or not sys.stderr.isatty():
        return run_import(store, files, dry_run=dry_run, actor=actor, max_line=max_line, limits=limits, fmt=fmt,
                          batch_size=batch_size)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        reading = bar.add_task("validating", total=total)

        def writing(count: int) -> Callable[[int], None]:
            task = bar.add_task("writing", total=count)
            return lambda n: bar.advance(task, n)

        report = run_import(store, files, dry_run=dry_run, actor=actor, max_line=max_line, limits=limits, fmt=fmt,
                            progress=lambda n: bar.advance(reading, n), on_write=writing, batch_size=batch_size)
    return report


def _print_report(report: ImportReport, dry_run: bool) -> None:
    prefix = "dry run, nothing written: " if dry_run else ""
    click.echo(prefix + report.summary())


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="jsonl (JSON Lines), xlsx (a workbook) or csv (a folder of CSV files) [default: by each "
                   "file: .xlsx a workbook, a folder CSV, anything else JSON Lines].")
@click.option("--dry-run", is_flag=True, help="Validate and count, write nothing.")
@click.option("--by", "actor", default=None,
              help="Who records what is new, kept as recordedBy [default: the OS user name].")
@click.option("--max-line-bytes", type=click.IntRange(1024, 1 << 30), default=None,
              help="Longest line accepted [env HERITAGE_MAX_LINE_BYTES; default 1048576].")
@click.option("--batch-size", type=click.IntRange(1000, 10_000_000), default=None,
              help="Write JSON Lines in transactions of this many records, each committed on its own, "
                   "after everything is validated. A failure while writing then leaves the batches "
                   "before it; running the same import again finishes it. [default: on Neo4j past "
                   f"{NEO4J_BATCH_MIN:,} records, batches of {NEO4J_BATCH:,}; otherwise one transaction]")
@click.pass_context
def import_cmd(ctx: click.Context, files: tuple[Path, ...], fmt: str | None, dry_run: bool, actor: str | None,
               max_line_bytes: int | None, batch_size: int | None) -> None:
    """Import interchange files (JSON Lines), workbooks or CSV folders as one transaction.

    Everything is validated first; any problem aborts the whole import, lists
    every problem as file:line: message (file:sheet:row:column: message in a
    spreadsheet), and leaves the store unchanged. JSON Lines are read twice
    (validated, then written in chunks), so that memory does not grow with the
    files. In batches (--batch-size, and by default a large import on Neo4j) a
    failure while writing leaves the batches already committed: run the same
    command again to finish; it writes only what is still missing.
    """
    with _store(ctx) as store:
        max_line = max_line_bytes or ctx.obj.max_line_bytes
        report = _import(store, list(files), dry_run, actor or _user(), max_line, ctx.obj.field_limits, fmt,
                         batch_size)
        _print_report(report, dry_run)


@main.command()
@click.argument("file", required=False, default="-", type=click.Path(allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "jsonld", "xlsx", "csv"]), default="jsonl",
              show_default=True, help="Output format: jsonl (interchange, re-importable), jsonld (linked data, one "
                                      "@graph), xlsx (a workbook, re-importable) or csv (a folder of CSV files, "
                                      "re-importable).")
@service_options
@click.pass_context
def export(ctx: click.Context, file: str, fmt: str, url: str | None, secret: str | None) -> None:
    """Write the whole store to FILE (or - for standard output) in a deterministic order.

    As xlsx, FILE is the workbook; as csv, FILE is a folder, made if missing, that receives a file per sheet.
    """
    if fmt in ("xlsx", "csv"):
        _export_sheets(ctx, file, fmt, url)
        return
    if Path(file).is_dir():
        raise click.UsageError(f"{file} is a folder; --format {fmt} writes a file")
    if url:
        service = _service(url, secret)
        try:
            count = _written(file, lambda out: _export_remote(service, fmt, out))
        except HeritageGraphError as exc:
            _fail(exc)
        click.echo(f"exported {count} records", err=True)
        return
    write = export_jsonld if fmt == "jsonld" else export_to
    with _store(ctx) as store:
        count = _written(file, lambda out: write(store, out))
        click.echo(f"exported {count} records", err=True)


def _export_sheets(ctx: click.Context, file: str, fmt: str, url: str | None) -> None:
    if url:
        raise click.UsageError(f"--format {fmt} writes from the store opened here; with --url, export jsonl and "
                               "import it into a store of your own")
    if file == "-":
        raise click.UsageError(f"--format {fmt} writes a {'workbook' if fmt == 'xlsx' else 'folder'}: name it")
    from .sheets.write import export_sheets

    with _store(ctx) as store:
        count = export_sheets(store, Path(file), fmt)
        click.echo(f"exported {count} records", err=True)


@main.command()
@click.argument("file", required=False, default=None, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True,
              help="xlsx (a workbook) or csv (a folder of CSV files).")
def template(file: Path | None, fmt: str) -> None:
    """Write an empty workbook (or CSV folder) to fill in and import, made from the schema.

    It has a sheet per node kind and relation type, with their columns, dropdowns of the allowed values
    (xlsx) and a Columns sheet that explains each column. FILE defaults to heritage-template.xlsx, or the
    folder heritage-template for csv.
    """
    from .sheets.write import write_template

    target = file or Path("heritage-template.xlsx" if fmt == "xlsx" else "heritage-template")
    try:
        write_template(target, fmt)
    except HeritageGraphError as exc:
        _fail(exc)
    click.echo(f"wrote the template {target}", err=True)


def _written(file: str, write: Callable[[Any], int]) -> int:
    if file == "-":
        return write(sys.stdout)
    tmp = Path(file + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as out:
            count = write(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(file)  # a reader never sees a half-written export
    return count


def _export_remote(service: Service, fmt: str, out: Any) -> int:
    """The service's export (GET /admin/export), copied as it comes; the count of records it holds."""
    import io

    from .api.admin import EXPORT_PATH

    count = 0
    with service.open(f"{EXPORT_PATH}?format={fmt}", doing="the export") as response:
        for line in io.TextIOWrapper(response, encoding="utf-8", newline=""):
            out.write(line)
            count += fmt == "jsonl" or line.startswith("    {")  # jsonld: the objects of its @graph
    return count


SEED_ACTOR = "heritage-graph seed"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "import"


@main.command()
@click.argument("node_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per revision, with the record before and after.")
@service_options
@click.pass_context
def history(ctx: click.Context, node_id: str, as_json: bool, url: str | None, secret: str | None) -> None:
    """Print the revisions of a node and of its relations, oldest first."""
    if url:
        try:
            revisions = _history_remote(_service(url, secret), node_id)
        except HeritageGraphError as exc:
            _fail(exc)
        _print_history(revisions, as_json)
        return
    with _store(ctx) as store:
        revisions = store.revisions([node_id])
        if not revisions and not store.get_nodes([node_id]):
            _fail(NotFound(f"no record with id {node_id!r}"))
        _print_history(revisions, as_json)


HISTORY = """query($id: ID!) { node(id: $id) { id } history(id: $id) {
  id at op actor version target reason before after } }"""


def _history_remote(service: Service, node_id: str) -> list[Any]:
    from types import SimpleNamespace

    data = service.graphql(HISTORY, {"id": node_id})
    if data["node"] is None and not data["history"]:
        raise NotFound(f"no record with id {node_id!r}")
    return [SimpleNamespace(**v) for v in data["history"]]


def _print_history(revisions: list[Any], as_json: bool) -> None:
    import json

    for v in revisions:
        if as_json:
            click.echo(json.dumps({"id": v.id, "at": v.at, "op": v.op, "actor": v.actor, "version": v.version,
                                   "target": v.target, "reason": v.reason, "before": v.before,
                                   "after": v.after}, ensure_ascii=False))
        else:
            reason = f"  — {v.reason}" if v.reason else ""
            click.echo(f"{v.at}  v{v.version:<3} {v.op:<16} {v.actor}  {v.target}{reason}")


def seed_files(folder: Path | None = None) -> list[Path]:
    """The Peru demo inventory's files, from ``resource("seeds")`` unless ``folder`` is given."""
    return sorted((folder or resource("seeds")).glob("*.jsonl"))


@main.command()
@click.pass_context
def seed(ctx: click.Context) -> None:
    """Load the Peru demo inventory from seeds/ (idempotent)."""
    with _store(ctx) as store:
        _print_report(_import(store, seed_files(), False, SEED_ACTOR, ctx.obj.max_line_bytes), False)


def _seed_if_empty(store: Store, imports: ImportMetrics) -> None:
    if store.count_nodes() == 0:
        click.echo("the store is empty: loading the Peru seeds")
        with imports.run():  # so /metrics shows what this import wrote
            report = run_import(store, seed_files(), actor=SEED_ACTOR, progress=imports.read,
                                on_write=imports.writing)
        _print_report(report, False)


@main.command()
@click.option("--host", default=None, help="Interface to listen on [env HERITAGE_HOST; default 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [env HERITAGE_PORT; default 8000].")
@click.option("--seed-if-empty", is_flag=True, help="Load seeds/ first when the store holds no node.")
@click.option("--log-format", type=click.Choice(["json", "text"]), default=None,
              help="Log lines as JSON objects or as text [env HERITAGE_LOG_FORMAT; default: text on a terminal, "
                   "json otherwise].")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, seed_if_empty: bool, log_format: str | None) -> None:
    """Serve the GraphQL API at http://HOST:PORT/graphql.

    Also /healthz, /readyz and /metrics (docs/operations.md). SIGTERM stops it gracefully: requests
    in flight finish (within HERITAGE_SHUTDOWN_TIMEOUT seconds), the store closes, and it exits 0.
    """
    from .app import create_app
    from .ops.logs import configure_logging
    from .ops.server import run_server, steady_heap

    settings: Settings = ctx.obj.with_overrides(host=host, port=port, log_format=log_format)
    configure_logging(settings.log_format, settings.log_level, flush_ms=settings.log_flush_ms)
    steady_heap()
    try:
        store = open_store(settings, serving=True)
    except HeritageGraphError as exc:
        _fail(exc)
    # The app closes the store when it shuts down, after the requests in flight.
    try:
        app = create_app(settings, store=store, close_store=True)  # checks the limits and caches
    except HeritageGraphError as exc:
        store.close()
        _fail(exc)
    if seed_if_empty:
        try:
            _seed_if_empty(store, app.state.metrics.imports)
        except HeritageGraphError as exc:
            store.close()
            _fail(exc)
    click.echo(f"serving the {settings.store_kind} store at http://{settings.host}:{settings.port}/graphql")
    sys.exit(run_server(app, settings))


@main.group()
def token() -> None:
    """Create, list and revoke API tokens (sent as `Authorization: Bearer <token>`)."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice(TOKEN_ROLES),
              help="What the token may do (see README, 'API tokens and roles').")
@click.option("--community", default=None, metavar="ID",
              help="Scope the token to this Community (a researcher then reads its community records).")
@click.option("--name", default=None, help="Who or what holds the token; recorded as the actor of its writes.")
@service_options
@click.pass_context
def token_create(ctx: click.Context, role: str, community: str | None, name: str | None, url: str | None,
                 secret: str | None) -> None:
    """Create a token and print its secret.

    The secret is shown this once: the store keeps only its SHA-256 hash.
    """
    from .tokens import create_token

    if url:
        done = _token_remote(url, secret, CREATE_TOKEN, {"role": role.upper(), "name": name, "community": community})
        secret, record = done["secret"], _token_record(done["token"])
    else:
        with _store(ctx) as store:
            secret, record = create_token(store, role, community=community, name=name)  # type: ignore[arg-type]
    click.echo(f"token      {secret}")
    click.echo(f"id         {record.id}")
    click.echo(f"role       {record.role}")
    click.echo(f"community  {record.community or '-'}")
    click.echo(f"name       {record.name or '-'}")
    click.echo("Copy the token now: it is not shown again (the store keeps only its SHA-256 hash). "
               "Send it as 'Authorization: Bearer <token>'.", err=True)


TOKEN_FRAGMENTS = """
fragment T on ApiToken { id name role community createdAt revokedAt }
fragment E on TokenResult { ... on InvalidInputError { message } ... on NotFoundError { message }
  ... on ForbiddenError { message } }"""
CREATE_TOKEN = """mutation($role: ApiTokenRole!, $name: String, $community: ID) {
  createApiToken(role: $role, name: $name, community: $community) {
    __typename ...E ... on TokenCreated { secret token { ...T } } } }""" + TOKEN_FRAGMENTS
REVOKE_TOKEN = """mutation($id: ID!) { revokeApiToken(id: $id) {
  __typename ...E ... on TokenRevoked { token { ...T } } } }""" + TOKEN_FRAGMENTS
LIST_TOKENS = "{ apiTokens { ...T } }" + TOKEN_FRAGMENTS.split("fragment E")[0]


def _token_remote(url: str, secret: str | None, mutation: str, variables: dict[str, Any]) -> dict[str, Any]:
    from .remote import unwrap_result

    try:
        data = _service(url, secret).graphql(mutation, variables)
        return unwrap_result(next(iter(data.values())))
    except HeritageGraphError as exc:
        _fail(exc)
        raise


def _token_record(t: dict[str, Any]) -> Any:
    from .store.tokens import TokenRecord

    return TokenRecord(id=t["id"], hash="", role=t["role"], created_at=t["createdAt"], name=t["name"],
                       community=t["community"], revoked_at=t["revokedAt"])


@token.command("list")
@service_options
@click.pass_context
def token_list(ctx: click.Context, url: str | None, secret: str | None) -> None:
    """List every token, revoked ones included.

    Shows id, name, role, community, created and revoked; never a secret or its hash.
    """
    if url:
        try:
            data = _service(url, secret).graphql(LIST_TOKENS)
        except HeritageGraphError as exc:
            _fail(exc)
        tokens = [_token_record(t) for t in data["apiTokens"]]
    else:
        with _store(ctx) as store:
            tokens = store.list_tokens()  # type: ignore[attr-defined]
    if not tokens:
        click.echo("no tokens (create one with `heritage-graph token create --role ROLE`)")
        return
    header = ("id", "name", "role", "community", "created", "revoked")
    rows = [(t.id, t.name or "-", t.role, t.community or "-", t.created_at, t.revoked_at or "-") for t in tokens]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@service_options
@click.pass_context
def token_revoke(ctx: click.Context, token_id: str, url: str | None, secret: str | None) -> None:
    """Revoke a token by id.

    Requests that send it are refused (HTTP 401) from now on; it stays listed.
    """
    from .tokens import revoke_token

    if url:
        record = _token_record(_token_remote(url, secret, REVOKE_TOKEN, {"id": token_id})["token"])
    else:
        with _store(ctx) as store:
            record = revoke_token(store, token_id)  # type: ignore[arg-type]
    click.echo(f"revoked token {record.id}" + (f" ({record.name})" if record.name else ""))


# -- reports (heritage_graph/services/unesco_report.py) -------------------------------------------
@main.group()
def report() -> None:
    """Reports assembled from the inventory."""


@report.command("unesco")
@click.argument("element_id", metavar="ELEMENT_ID")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
@click.pass_context
def report_unesco(ctx: click.Context, element_id: str, fmt: str, output: Path | None) -> None:
    """What the inventory holds for the UNESCO periodic report on an inscribed element, section by section
    (viability and threats, safeguarding measures, communities and organizations, consent, sources), with the
    sections that hold no data flagged."""
    import json

    from .services import unesco_report
    from .visibility import EVERYTHING, Gate

    with _store(ctx) as store:
        found = unesco_report.assemble(store, Gate(store, EVERYTHING), element_id)
    text = (unesco_report.markdown(found) if fmt == "markdown"
            else json.dumps(unesco_report.as_json(found), ensure_ascii=False, indent=2) + "\n")
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    if found.gaps:
        click.echo(f"no data for: {'; '.join(found.gaps)}", err=True)


# -- web workspace users (heritage_graph/accounts.py) -------------------------------------------
@main.group()
def user() -> None:
    """Create, list, disable and enable the users who sign in to the web workspace (/login)."""


def _password(confirm: bool = True) -> str:
    # A password never goes on the command line, where `ps` and the shell's history would show it.
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=confirm))
    line = sys.stdin.readline()
    if not line:
        _fail(InvalidInput("no password: type it at the prompt, or send it on standard input", field="password"))
    return line.rstrip("\r\n")


@user.command("create")
@click.option("--username", required=True, help="The name to sign in with (lower-case letters, digits, . _ -).")
@click.option("--role", required=True, type=click.Choice(TOKEN_ROLES),
              help="What the user may do: the roles of API tokens (see README, 'API tokens and roles').")
@click.option("--community", default=None, metavar="ID",
              help="Scope the user to this Community (as a token's scope).")
@click.pass_context
def user_create(ctx: click.Context, username: str, role: str, community: str | None) -> None:
    """Create a user; the password is asked for (twice), or read from the first line of standard input.

    The store keeps only its Argon2id hash. Passwords need 12 characters at least.
    """
    from .accounts import check_password, create_user, username_of

    try:
        name = username_of(username)
    except HeritageGraphError as exc:
        _fail(exc)
    password = _password()
    try:
        check_password(password, name)  # before the store is opened: a typo costs no wait
    except HeritageGraphError as exc:
        _fail(exc)
    with _store(ctx) as store:
        record = create_user(store, name, password, role, community=community)  # type: ignore[arg-type]
    click.echo(f"created user {record.username} ({record.role}"
               + (f", community {record.community})" if record.community else ")"))


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """List every user, disabled ones included (never a password or its hash)."""
    with _store(ctx) as store:
        users = store.list_users()  # type: ignore[attr-defined]
    if not users:
        click.echo("no users (create one with `heritage-graph user create --username NAME --role ROLE`)")
        return
    header = ("username", "role", "community", "created", "disabled")
    rows = [(u.username, u.role, u.community or "-", u.created_at, u.disabled_at or "-") for u in users]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def _switch(ctx: click.Context, username: str, change: Callable[..., Any], done: str) -> None:
    with _store(ctx) as store:
        record = change(store, username)
    click.echo(f"{done} user {record.username}")


@user.command("disable")
@click.argument("username")
@click.pass_context
def user_disable(ctx: click.Context, username: str) -> None:
    """Disable a user: it can no longer sign in, and its open sessions end at once."""
    from .accounts import disable_user

    _switch(ctx, username, disable_user, "disabled")


@user.command("enable")
@click.argument("username")
@click.pass_context
def user_enable(ctx: click.Context, username: str) -> None:
    """Enable a disabled user again."""
    from .accounts import enable_user

    _switch(ctx, username, enable_user, "enabled")


@user.command("password")
@click.argument("username")
@click.pass_context
def user_password(ctx: click.Context, username: str) -> None:
    """Set a user's password (asked for, or from standard input); its open sessions end."""
    from .accounts import set_password

    password = _password()
    with _store(ctx) as store:
        record = set_password(store, username, password)  # type: ignore[arg-type]
    click.echo(f"set the password of user {record.username}")


# -- backup and restore (heritage_graph/services/backup.py) ---------------------------------------
NEO4J_TOOLS = ("on Neo4j use Neo4j's own tools: neo4j-admin database dump and load (Community Edition), "
               "or neo4j-admin database backup and restore (Enterprise Edition); see docs/operations.md")


def _embedded_folder(settings: Settings, what: str) -> Path:
    from .errors import ConfigError

    if settings.neo4j_uri:
        _fail(ConfigError(f"`{what}` works on the embedded store, and NEO4J_URI is set: {NEO4J_TOOLS}"))
    return settings.db_path


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--url", default=None, metavar="URL",
              help="Take the backup through the service running at URL (e.g. http://127.0.0.1:8000), which is "
                   "needed while `serve` holds the store. Without it, the store folder (--db) is opened here.")
@click.option("--token", "secret", envvar="HERITAGE_TOKEN", default=None, metavar="TOKEN",
              help="An admin token, for --url [env HERITAGE_TOKEN].")
@click.pass_context
def backup(ctx: click.Context, path: Path, url: str | None, secret: str | None) -> None:
    """Copy the embedded store (graph, search index, tokens, history) into the new folder PATH.

    The copy is one consistent state, taken while the store stays in use: with --url the running
    service takes it, holding requests back only while it copies the files. It is checked (opened,
    its counts compared, each file's SHA-256 recorded in PATH/manifest.json) before it is kept.
    """
    from .errors import ConfigError, StoreLocked
    from .services import backup as backups
    from .store import command_buffer_pool_mb
    from .store.ladybug import GRAPH_FILE, LadybugStore

    settings: Settings = ctx.obj
    db = _embedded_folder(settings, "backup")
    try:
        if url:
            if not secret:
                raise ConfigError("--url needs an admin token: --token TOKEN, or HERITAGE_TOKEN in the environment")
            manifest = backups.backup_remote(url, secret, path)
            source = url
        else:
            backups.check_backup_target(path, db)
            if not (db / GRAPH_FILE).is_file():
                raise ConfigError(f"there is no embedded store at {db} (--db or HERITAGE_DB names its folder)")
            try:
                store = LadybugStore(db, buffer_pool_mb=command_buffer_pool_mb()).open()
            except StoreLocked:
                raise StoreLocked(
                    f"the store at {db} is open in another process, presumably `heritage-graph serve`: take the "
                    f"backup through it, `heritage-graph backup {path} --url http://{settings.host}:{settings.port}` "
                    "with an admin token in HERITAGE_TOKEN") from None
            try:
                store.init()  # brings a stale search index up to date first
                manifest = backups.backup_local(store, path)
            finally:
                store.close()
            source = str(db)
    except HeritageGraphError as exc:
        _fail(exc)
    click.echo(f"backup of {source} written to {path}: {manifest.summary()}")


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the store at --db even though it holds data.")
@click.pass_context
def restore(ctx: click.Context, path: Path, force: bool) -> None:
    """Bring back the backup in folder PATH as the embedded store (--db).

    The backup is checked first (format, LadybugDB storage version, every file's SHA-256), restored
    into a new folder beside the store and checked again there, then renamed into place. A store that
    holds data is replaced only with --force; one in use is never (stop `serve` first).
    """
    from .services import backup as backups

    db = _embedded_folder(ctx.obj, "restore")
    try:
        manifest, note = backups.restore(path, db, force=force)
    except HeritageGraphError as exc:
        _fail(exc)
    if note:
        click.echo(note, err=True)
    click.echo(f"restored {path} (taken {manifest.created_at}) into {db}: {manifest.summary()}")


def run() -> None:
    try:
        main(standalone_mode=True)
    except InvalidInput as exc:  # pragma: no cover - commands handle their own
        _fail(exc)


if __name__ == "__main__":
    run()

# Heritage Graph: `make serve` runs the Peru demo, `make test` runs every test.
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINT   := tools/cypher-lint
GRAPHIQL := tools/graphiql

.PHONY: serve test install lint docs clean bench

# Installs exactly the versions of requirements.lock (as constraints), which `make audit` checks.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip -c requirements.lock
	$(BIN)/python -m pip install --quiet -e '.[test]' -c requirements.lock
	@touch $(STAMP)

install: $(STAMP)

.PHONY: lock audit
# requirements.lock: every distribution the project and its test extra resolve to (pip's resolver against
# the configured index, nothing installed). Refresh it after changing dependencies in pyproject.toml, or
# to take upstream fixes: `make lock && make test`, and commit both files.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python tools/deps.py lock

# Known vulnerabilities in requirements.lock (CI runs it; tools/deps.py says how to handle a finding).
audit: $(STAMP)
	$(BIN)/python tools/deps.py audit

$(LINT)/node_modules/.package-lock.json: $(LINT)/package-lock.json $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" npm ci --prefix $(LINT) --no-audit --no-fund --loglevel=error

serve: $(STAMP)
	$(BIN)/heritage-graph serve --seed-if-empty

# Every store test runs on the embedded store and on a Neo4j 5.26 that the tests start (tools/neo4j) when
# java and mvn are on PATH and NEO4J_URI is not set; without Java those runs skip, saying why.
test: $(STAMP) $(LINT)/node_modules/.package-lock.json
	$(BIN)/python -m pytest

.PHONY: neo4j neo4j-build
# A Neo4j 5.26 Community server in the foreground for development: Bolt on 127.0.0.1:$(NEO4J_PORT), the
# store in .neo4j/ (kept), the password $$NEO4J_PASSWORD or heritage-dev. It prints the `export NEO4J_URI=…`
# line for the shell that runs the service; Ctrl-C stops it cleanly.
NEO4J_PORT ?= 7687
neo4j: $(STAMP)
	$(BIN)/python tools/neo4j/launch.py --port $(NEO4J_PORT) --data .neo4j

# The launcher's jar and the Neo4j jars in tools/neo4j/target/ (not in git); offline after the first build.
neo4j-build: $(STAMP)
	$(BIN)/python tools/neo4j/launch.py --build-only

.PHONY: assets messages
# GraphiQL's files in heritage_graph/static/graphiql/vendor/ (committed), from the versions pinned in
# tools/graphiql/package-lock.json; serving them needs no npm. Also axe-core for the browser tests'
# accessibility audit (tests/browser/vendor/, committed, pinned by tools/axe/package-lock.json).
assets: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" npm ci --prefix $(GRAPHIQL) --no-audit --no-fund --loglevel=error
	$(BIN)/node $(GRAPHIQL)/build.mjs
	PATH="$(abspath $(BIN)):$$PATH" npm ci --prefix tools/axe --no-audit --no-fund --loglevel=error
	$(BIN)/python tools/axe/vendor.py

# The interface's gettext catalogs (heritage_graph/locale/): new strings of the templates and of the schema
# added, translations kept; it lists what Spanish still lacks (tests/test_web.py fails until none).
messages: $(STAMP)
	$(BIN)/python tools/messages.py

.PHONY: dist
# The release in dist/: the sdist, then the wheel built from it (as the Dockerfile builds it), both checked
# by twine. `pip install dist/heritage_graph-*.whl` installs it anywhere (README, "Install from a release").
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/python -m twine check --strict dist/*

lint: $(STAMP)
	$(BIN)/ruff check .

docs: $(STAMP)
	$(BIN)/python -m heritage_graph.docs

.PHONY: load
# 60 s of mixed reads, searches, lineages and curator writes against a real server on a throw-away
# seeded store; results in bench/results/ and BENCHMARKS.md. LOAD_ARGS, e.g. "--duration 10 --clients 16".
load: $(STAMP)
	$(BIN)/python bench/load.py --update-benchmarks $(LOAD_ARGS)

# The national-scale suite of issue 5 (bench/suite.py): 1,000,000 nodes and 5,000,000 relations by
# default, `make bench SIZE=--small` for 20,000 / 100,000; BENCH_ARGS for more, e.g. "--runs 50 --keep".
# STORE=ladybug (default), neo4j (a Neo4j started by the suite, or NEO4J_URI's) or both.
# Results in bench/results/ and BENCHMARKS.md; generated data cached in bench/.data/.
STORE ?= ladybug
bench: $(STAMP)
	$(BIN)/python bench/suite.py --store $(STORE) $(SIZE) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(LINT)/node_modules tools/graphiql/node_modules tools/graphql-http-audit/node_modules .pytest_cache \
		dist build

# Heritage Graph: `make serve` runs the Peru demo, `make test` runs every test.
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINT   := tools/cypher-lint
GRAPHIQL := tools/graphiql

.PHONY: serve test install lint docs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

$(LINT)/node_modules/.package-lock.json: $(LINT)/package-lock.json $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" npm ci --prefix $(LINT) --no-audit --no-fund --loglevel=error

serve: $(STAMP)
	$(BIN)/heritage-graph serve --seed-if-empty

test: $(STAMP) $(LINT)/node_modules/.package-lock.json
	$(BIN)/python -m pytest

.PHONY: assets
# GraphiQL's files in heritage_graph/static/graphiql/vendor/ (committed), from the versions pinned in
# tools/graphiql/package-lock.json; serving them needs no npm.
assets: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" npm ci --prefix $(GRAPHIQL) --no-audit --no-fund --loglevel=error
	$(BIN)/node $(GRAPHIQL)/build.mjs

lint: $(STAMP)
	$(BIN)/ruff check .

docs: $(STAMP)
	$(BIN)/python -m heritage_graph.docs

clean:
	rm -rf $(VENV) $(LINT)/node_modules tools/graphiql/node_modules tools/graphql-http-audit/node_modules .pytest_cache

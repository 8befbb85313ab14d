# Heritage Graph: `make serve` runs the Peru demo, `make test` runs every test.
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINT   := tools/cypher-lint

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

lint: $(STAMP)
	$(BIN)/ruff check .

docs: $(STAMP)
	$(BIN)/python -m heritage_graph.docs

clean:
	rm -rf $(VENV) $(LINT)/node_modules .pytest_cache

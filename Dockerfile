# The Heritage Graph service; docker-compose.yml runs it against Neo4j.
# Python 3.11: the version requirements.lock is resolved and audited with (`make lock`, `make audit`).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md requirements.lock ./
COPY heritage_graph ./heritage_graph
COPY cypher ./cypher
COPY seeds ./seeds
# Editable install: the named queries (cypher/) and seeds/ are read from the source tree.
RUN pip install --no-cache-dir -e . -c requirements.lock && useradd --system --home /app heritage && mkdir -p /app/data \
    && chown heritage /app/data
USER heritage
ENV HERITAGE_HOST=0.0.0.0
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz')"
CMD ["heritage-graph", "serve", "--seed-if-empty"]

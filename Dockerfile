# The Heritage Graph service: the wheel built from this checkout, installed in a slim Python image.
#
#   docker build -t heritage-graph .
#   docker run -d -p 127.0.0.1:8000:8000 -v heritage-data:/data --stop-timeout 40 heritage-graph
#
# docker-compose.yml runs it on Neo4j. Python 3.11: the version requirements.lock is resolved and audited
# with (`make lock`, `make audit`). No Docker engine runs where the tests do: tests/test_packaging.py lints
# this file with hadolint and runs the runtime stage's install script into a fresh virtual environment.

# -- builder: the sdist, then the wheel from the sdist, as `make dist` does ----------------------------
FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The context is the checkout less .dockerignore's list; pyproject.toml's sdist settings pick the files.
COPY . .
RUN pip install -c requirements.lock build \
    && python -m build --outdir /build . \
    && mkdir /dist && cp /build/heritage_graph-*.whl requirements.lock tools/install-wheel.sh /dist/

# -- runtime: the wheel and its locked dependencies, none of the source tree ------------------------------
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The builder's /dist (the wheel, requirements.lock, the install script) is mounted, not copied: no layer keeps it.
RUN --mount=type=bind,from=builder,source=/dist,target=/tmp/dist sh /tmp/dist/install-wheel.sh /tmp/dist \
    && groupadd --system --gid 10001 heritage \
    && useradd --system --no-log-init --uid 10001 --gid heritage --home-dir /data heritage \
    && mkdir /data && chown heritage:heritage /data
# Never root (10001 is the user heritage); the embedded store in the volume (unused when NEO4J_URI is set).
USER 10001:10001
WORKDIR /data
ENV HERITAGE_DB=/data/heritage HERITAGE_HOST=0.0.0.0 HERITAGE_PORT=8000
VOLUME ["/data"]
EXPOSE 8000
# Ready: the store answers (docs/operations.md §3). The first start loads the seeds before it listens.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
CMD ["heritage-graph", "serve", "--seed-if-empty"]

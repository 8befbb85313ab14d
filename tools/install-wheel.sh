#!/bin/sh
# Installs the heritage-graph wheel in DIR, with its dependencies at the versions of DIR/requirements.lock,
# into the environment of the `python` first on PATH, then checks that the command runs.
#
#   sh tools/install-wheel.sh DIR
#
# The Dockerfile's runtime stage runs it, and so does tests/test_packaging.py (into a fresh virtual
# environment, its bin/ first on PATH): the image's install steps are tested where no Docker engine runs.
# pip's own settings come from the environment (PIP_NO_CACHE_DIR, PIP_INDEX_URL, ...).
set -eu
dir=${1:?usage: install-wheel.sh DIR (holding one heritage_graph-*.whl and requirements.lock)}
set -- "$dir"/heritage_graph-*.whl
if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
    echo "install-wheel.sh: $dir must hold exactly one heritage_graph-*.whl" >&2
    exit 2
fi
python -m pip install --disable-pip-version-check --no-input -c "$dir/requirements.lock" "$1"
heritage-graph --version

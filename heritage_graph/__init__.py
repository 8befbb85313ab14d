"""Heritage Graph: an inventory of intangible cultural heritage as a graph, served through GraphQL."""

# The one place of the version: the wheel's metadata reads it at build time (pyproject.toml's
# [tool.hatch.version]); `heritage-graph --version`, /metrics and backup manifests read it from here.
__version__ = "0.1.0"

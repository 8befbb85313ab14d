"""Use cases over the store port: import, export, catalogue, lineage and paths."""

"""Full-text search: one normalisation (text.py), the documents built from the
graph (documents.py), and the embedded SQLite FTS5 index (sqlite.py)."""

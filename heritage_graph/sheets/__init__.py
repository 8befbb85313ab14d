"""Spreadsheets in and out: the interchange format as a workbook (xlsx) or a folder of CSV files.

``layout`` derives the sheets and their columns from ``schema.py`` and turns a row into an interchange
record and back; ``read`` reads workbooks and CSV folders into the records the importer validates like
any JSON line; ``write`` writes exports and the template. A sheet is a node kind or a relation type.
"""

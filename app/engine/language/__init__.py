"""The expression language: Python syntax -> Graph (parser.py), with its spellings, loops,
assignments, definitions, custom ops and groups."""

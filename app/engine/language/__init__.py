"""The expression language: Python syntax -> Graph (parser.py), with its leaves, calls,
numbers, spellings, loops, assignments, definitions, custom ops and groups."""

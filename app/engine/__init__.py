"""The numpy engine: ops, graphs, the expression language, steps, training, summaries, code.

No HTTP, no JSON encoding, no layout.
"""

from app.engine.core.allocator import keep_freed_memory

keep_freed_memory()

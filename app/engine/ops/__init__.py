"""The op table, the only place in Gradwalk that knows a derivative, and the one list of op names.

registry.py holds the op record and the table; derivation.py makes entries from one rule each;
elementwise.py, reductions.py and structural.py are the entries by kind, helpers.py the numpy
their rules and the exported script share. The layers' ops bring their own files: dropout.py,
embedding.py, conv.py (its numpy in windows.py) and norm.py (normhelpers.py). Importing the
package fills the table; each name is imported from the module that owns it.
"""

from __future__ import annotations

from app.engine.ops import elementwise, reductions, structural  # noqa: F401 (they register)

# the layers' ops register after the basic ones (`gradwalk ops` lists them last)
# isort: split
from app.engine.ops import conv, dropout, embedding, norm  # noqa: F401

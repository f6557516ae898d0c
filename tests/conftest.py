"""Every test process computes as a server worker does: one BLAS thread (app/__init__.py says
why), set before anything imports numpy, so recorded numbers hold on any core count."""

import os
import sys

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
assert "numpy" not in sys.modules or os.environ.get("OPENBLAS_NUM_THREADS") == "1", \
    "numpy was imported before tests/conftest.py could pin its BLAS threads"

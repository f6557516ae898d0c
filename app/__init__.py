"""Gradwalk: walk a computational graph one operation at a time."""

import os

# One BLAS thread per process, unless told otherwise, set before numpy is imported: the order of
# a matmul's sums depends on the thread count, so two workers on machines with different core
# counts would answer the same run id with numbers that differ in the last bits; and a worker
# already runs one computation per thread of its own pool (several threads each would only
# contend on a shared machine: measured there, 2 threads made training crawl to the watchdog).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

__version__ = "0.1.0"

"""The instruments of D2L 4.7: the gradient check, forward against reverse mode, the memory ledger,
the compute budget, symbolic differentiation and its swell."""

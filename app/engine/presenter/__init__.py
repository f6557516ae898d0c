"""The presenter: steps a person reads (narration, notation, the script, summaries, one element,
the layer strip's norms)."""

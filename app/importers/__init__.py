"""Models made elsewhere, as Gradwalk source: a PyTorch module (`torch_source`, needs the
`gradwalk[torch]` extra) or an ONNX file (`onnx_source`, read as data, never as code)."""

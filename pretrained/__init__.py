"""Starting models from insightface's published ones: arcface_torch `.pth` state dicts and ONNX exports.

`python -m pretrained FILE --backbone r50 --output DIR` reads the file without PyTorch
(`torch_checkpoint`, a restricted reader of torch.save's zip format) or with the `onnx` package
(`onnx_graph`, which matches the graph to the Keras backbone layer by layer), loads it into
arcface_module's backbone of that name (`arcface_module.backbones.arcface_torch` knows the names
and layouts) and writes a starting model the Trainer warm-starts from (`starting_model`). Outside
arcface_module, which imports only Keras, TensorFlow and NumPy.
"""

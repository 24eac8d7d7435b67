"""Training stairwatch's own detector with Ultralytics, and shipping it as ONNX.

Modules here import torch/ultralytics only inside functions, so the ONNX and quantization
parts (:mod:`stairwatch.training.onnx_graph`, :mod:`stairwatch.training.quantize`) work
without the ``train`` extra.
"""

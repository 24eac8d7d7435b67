"""Training stairwatch's own detector with Ultralytics, and shipping it as ONNX.

Modules here import torch/ultralytics only inside functions, so the ONNX and quantization
parts (:mod:`lab.training.onnx_graph`, :mod:`lab.training.quantize`) work
without the ``train`` extra.
"""

"""Convolutional-autoencoder defect detector: train, calibrate, evaluate, export to ONNX (see README.md)."""

__version__ = "0.1.0"

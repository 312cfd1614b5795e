"""Writes the tiny ONNX models the flink-job unit tests use, with their model cards and expected outputs.

They stand in for a trained CAE where a test needs a real ONNX Runtime session but not a trained network:
a 3x3 mean filter plays the "reconstruction", so the expected outputs are simple to compute here in numpy and
the Java side is checked against an independent implementation.

    /usr/bin/python3 flink-job/src/test/python/make_test_models.py

Output (committed, a few KB): flink-job/src/test/resources/models/{tiny-graph,tiny-recon,fails-when-run}/
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

OPSET = 17
SIZE = 16
ERROR_GAIN = 20.0
OUT = Path(__file__).resolve().parents[1] / "resources" / "models"


def mean_filter(x: np.ndarray) -> np.ndarray:
    """3x3 mean over the valid neighbours (AveragePool, pads 1, count_include_pad 0), per channel."""
    n, c, h, w = x.shape
    padded = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    ones = np.pad(np.ones((h, w)), 1)
    total = np.zeros_like(x, dtype=np.float64)
    count = np.zeros((h, w))
    for dy in range(3):
        for dx in range(3):
            total += padded[:, :, dy:dy + h, dx:dx + w]
            count += ones[dy:dy + h, dx:dx + w]
    return (total / count).astype(np.float32)


def build(channels: int, with_scoring_head: bool) -> onnx.ModelProto:
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", channels, SIZE, SIZE])
    recon = helper.make_tensor_value_info("reconstruction", TensorProto.FLOAT, ["N", channels, SIZE, SIZE])
    nodes = [helper.make_node("AveragePool", ["image"], ["reconstruction"], kernel_shape=[3, 3],
                              pads=[1, 1, 1, 1], count_include_pad=0)]
    outputs = [recon]
    inits = []
    if with_scoring_head:
        inits.append(helper.make_tensor("gain", TensorProto.FLOAT, [], [ERROR_GAIN]))
        nodes += [
            helper.make_node("Sub", ["image", "reconstruction"], ["diff"]),
            helper.make_node("Mul", ["diff", "diff"], ["squared"]),
            helper.make_node("ReduceMean", ["squared"], ["mean_sq"], axes=[1], keepdims=1),
            helper.make_node("Mul", ["mean_sq", "gain"], ["error_map"]),
            helper.make_node("ReduceMax", ["error_map"], ["score"], axes=[1, 2, 3], keepdims=0),
        ]
        outputs = [helper.make_tensor_value_info("error_map", TensorProto.FLOAT, ["N", 1, SIZE, SIZE]),
                   helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N"]), recon]
    graph = helper.make_graph(nodes, "tiny", [image], outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="flink-job-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def card(name: str, onnx_file: Path, channels: int, with_scoring_head: bool) -> dict:
    outputs = {"reconstruction": {"name": "reconstruction", "shape": [-1, channels, SIZE, SIZE]}}
    if with_scoring_head:
        outputs["error_map"] = {"name": "error_map", "shape": [-1, 1, SIZE, SIZE]}
        outputs["score"] = {"name": "score", "shape": [-1]}
    return {
        "schema_version": 1,
        "name": name,
        "version": "test.1",
        "created_utc": "2026-01-01T00:00:00Z",
        "onnx": {"file": onnx_file.name, "sha256": hashlib.sha256(onnx_file.read_bytes()).hexdigest(),
                 "opset": OPSET},
        "input": {"name": "image", "channels": channels, "height": SIZE, "width": SIZE, "dtype": "float32",
                  "layout": "NCHW"},
        "preprocessing": {"decode_bits": 8,
                          "color": "gray-bt601-int" if channels == 1 else "rgb-gray-replicated",
                          "scale": "1/255", "resize": "area-adaptive-avg-pool", "channel_order": "RGB"},
        "outputs": outputs,
        "score": {"source": "graph" if with_scoring_head else "java-fallback",
                  "definition": "test model: 3x3 mean filter as reconstruction"},
        "thresholds": {"image_score": 1.0, "pixel": 0.5, "min_region_area": 2},
    }


def write(name: str, channels: int, with_scoring_head: bool, rng: np.random.Generator) -> None:
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    onnx_file = folder / f"{name}.onnx"
    onnx.save(build(channels, with_scoring_head), onnx_file)
    (folder / f"{name}.card.json").write_text(json.dumps(card(name, onnx_file, channels, with_scoring_head),
                                                         indent=2) + "\n")
    batch = rng.random((3, channels, SIZE, SIZE), dtype=np.float32)
    batch[1] = 0.25  # a flat image: zero error everywhere
    recon = mean_filter(batch)
    # Same float32 ops as the graph: (x - r)^2 averaged over channels (times the gain for the scoring head).
    error = ((batch - recon) ** 2).mean(axis=1, keepdims=True, dtype=np.float32)
    if with_scoring_head:
        error = error * np.float32(ERROR_GAIN)
    expected = {"input": batch.ravel().tolist(), "shape": list(batch.shape),
                "error_map": error.ravel().tolist(), "score": error.reshape(3, -1).max(axis=1).tolist()}
    (folder / "expected.json").write_text(json.dumps(expected) + "\n")


def write_fails_when_run() -> None:
    """tiny-graph's outputs and card, but its first node gathers channel 5 of a 1-channel input: ONNX Runtime loads
    it (the index is data, not shape) and fails whenever it runs, as a broken export can."""
    name = "fails-when-run"
    model = build(1, True)
    graph = model.graph
    graph.initializer.append(helper.make_tensor("channel", TensorProto.INT64, [1], [5]))
    graph.node.insert(0, helper.make_node("Gather", ["image", "channel"], ["gathered"], axis=1))
    for node in graph.node[1:]:
        node.input[:] = ["gathered" if i == "image" else i for i in node.input]
    onnx.checker.check_model(model)
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    onnx_file = folder / f"{name}.onnx"
    onnx.save(model, onnx_file)
    (folder / f"{name}.card.json").write_text(json.dumps(card(name, onnx_file, 1, True), indent=2) + "\n")


def main() -> None:
    rng = np.random.default_rng(20261125)
    write("tiny-graph", 1, True, rng)
    write("tiny-recon", 3, False, rng)
    write_fails_when_run()
    print(f"wrote {sorted(str(p.relative_to(OUT)) for p in OUT.rglob('*') if p.is_file())}")


if __name__ == "__main__":
    main()

import hashlib
import inspect
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from PIL import Image

from defect_cae import export as export_mod
from defect_cae import onnx_reference
from defect_cae.export import (FLOAT32_MARGIN, GOLDEN_MAX_BYTES, GOLDEN_MAX_SIDE, GOLDEN_TOLERANCES, build_card,
                               export_kwargs, export_model, export_onnx, golden_images_from, golden_tolerances,
                               verify_onnx, write_card, write_golden)
from defect_cae.preprocess import preprocess
from mini_schema import validate

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "model-card.schema.json").read_text())


@pytest.fixture(scope="module")
def exported(detector, tmp_path_factory):
    det, cal = detector
    out = tmp_path_factory.mktemp("export")
    path = export_onnx(det, out / "cae.onnx")
    return det, cal, path


def test_export_passes_the_checker_with_contract_names_and_shapes(exported):
    det, _, path = exported
    shapes = verify_onnx(path, 1, 64, 64)
    assert shapes == {"image": [-1, 1, 64, 64], "error_map": [-1, 1, 64, 64], "score": [-1],
                      "reconstruction": [-1, 1, 64, 64]}
    model = onnx.load(str(path))
    assert model.opset_import[0].version == 17
    assert [o.name for o in model.graph.output] == ["error_map", "score", "reconstruction"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # symbolic (dynamic) batch axis


def test_verify_rejects_a_graph_that_breaks_the_contract(exported, tmp_path):
    _, _, path = exported
    with pytest.raises(ValueError, match="shape"):
        verify_onnx(path, 3, 64, 64)


def test_a_failed_export_leaves_the_previous_model_whole(exported, tmp_path, monkeypatch):
    det, _, _ = exported
    target = tmp_path / "cae.onnx"
    target.write_bytes(b"the deployed model's bytes")

    def broken(*args, **kwargs):
        raise ValueError("graph outputs ['x'], expected ['error_map', 'score', 'reconstruction']")
    monkeypatch.setattr(export_mod, "verify_onnx", broken)
    with pytest.raises(ValueError, match="graph outputs"):
        export_onnx(det, target)
    assert target.read_bytes() == b"the deployed model's bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cae.onnx"]  # no temporary file left


def test_model_and_card_replace_the_previous_pair_together_or_not_at_all(exported, tmp_path):
    det, cal, _ = exported
    (tmp_path / "cae.onnx").write_bytes(b"the deployed model's bytes")
    (tmp_path / "cae.card.json").write_text('{"the": "deployed card"}')

    def broken_card(onnx):
        raise ValueError("metrics are not JSON")
    with pytest.raises(ValueError, match="metrics"):
        export_model(det, tmp_path, broken_card)
    assert (tmp_path / "cae.onnx").read_bytes() == b"the deployed model's bytes"
    assert (tmp_path / "cae.card.json").read_text() == '{"the": "deployed card"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cae.card.json", "cae.onnx"]

    onnx_path, card_path, _ = export_model(det, tmp_path, lambda onnx: build_card(
        det, onnx, "cae-test", "2026-01-01.1", cal.card_thresholds(), {"test": None}, {}))
    card = json.loads(card_path.read_text())
    assert card["onnx"]["file"] == "cae.onnx"
    assert card["onnx"]["sha256"] == hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cae.card.json", "cae.onnx"]


@pytest.mark.parametrize("batch", [1, 7])
def test_onnx_graph_computes_what_the_pytorch_module_computes(exported, dataset, batch):
    det, _, path = exported
    test = dataset.test
    idx = np.arange(batch) % len(test.labels)
    assert_onnx_computes_the_module(det, path, test.images[idx])


def assert_onnx_computes_the_module(det, path, x):
    got = onnx_reference.run(onnx.load(str(path)), {"image": x})
    with torch.no_grad():
        e, s, r = det(torch.from_numpy(x))
    tol = GOLDEN_TOLERANCES
    np.testing.assert_allclose(got["reconstruction"], r.numpy(), atol=tol["reconstruction"]["abs"])
    np.testing.assert_allclose(got["error_map"], e.numpy(), atol=tol["error_map"]["abs"], rtol=tol["error_map"]["rel"])
    np.testing.assert_allclose(got["score"], s.numpy(), atol=tol["score"]["abs"], rtol=tol["score"]["rel"])


def test_batch_of_seven_gives_the_per_image_results_of_batch_one(exported, dataset):
    _, _, path = exported
    model = onnx.load(str(path))
    x = dataset.test.images[:7]
    seven = onnx_reference.run(model, {"image": x})
    tol = GOLDEN_TOLERANCES
    for i in (0, 6):
        one = onnx_reference.run(model, {"image": x[i:i + 1]})
        np.testing.assert_allclose(one["score"], seven["score"][i:i + 1], rtol=tol["score"]["rel"],
                                   atol=tol["score"]["abs"])
        np.testing.assert_allclose(one["error_map"], seven["error_map"][i:i + 1], rtol=tol["error_map"]["rel"],
                                   atol=tol["error_map"]["abs"])


def test_model_card_validates_against_its_schema(exported, dataset, tmp_path):
    det, cal, path = exported
    card = build_card(det, path, "cae-test", "2026-01-01.1", cal.card_thresholds(),
                      {"test": None, "synthetic_validation": {"overall": {"image_auroc": float("nan")},
                                                              "per_type": {}}},
                      {"data": dataset.summary, "config": {}, "wall_seconds": 1.0})
    written = json.loads(write_card(card, tmp_path / "cae.card.json").read_text())
    assert validate(written, SCHEMA) == []
    assert written["thresholds"]["image_score"] == 1.0 and written["thresholds"]["pixel"] == 1.0
    assert written["metrics"]["synthetic_validation"]["overall"]["image_auroc"] is None  # NaN -> null
    # The dataset's images have the model's shape: frames like them need no extra tolerance.
    assert written["input"]["min_frame_aspect_tolerance"] == 0.0
    broken = dict(written, input=dict(written["input"], channels=2))
    assert validate(broken, SCHEMA)
    # The input range (the job's camera-health check) is in it; a card from before it, without, still validates.
    r = written["thresholds"]["input_range"]
    assert r["images"] == dataset.summary["images"] and r["level"]["band"] > 0 and r["spread"]["band"] > 0
    older = dict(written, thresholds={k: v for k, v in written["thresholds"].items() if k != "input_range"})
    assert validate(older, SCHEMA) == []
    for part, bad in (("level", {"band": 0.0}), ("spread", {"centre": None})):
        broken = dict(written, thresholds=dict(written["thresholds"], input_range=dict(r, **{part: dict(r[part],
                                                                                                       **bad)})))
        assert validate(broken, SCHEMA), (part, bad)


def test_golden_vectors_reproduce_from_the_image_files(exported, mvtec_root, tmp_path):
    det, _, path = exported
    samples = [("defect", sorted((mvtec_root / "test" / "spot").glob("*.png"))[0]),
               ("good", sorted((mvtec_root / "test" / "good").glob("*.png"))[0])]
    golden = write_golden(det, tmp_path / "golden", golden_images_from(samples, 1))
    modes = {e["decoded_mode"] for e in golden["images"]}
    assert {"L", "RGB", "RGBA", "P"} <= modes
    assert modes & {"I", "I;16"}, "a 16-bit gray image (mode I or I;16, by Pillow version)"
    assert any(e["width"] != e["height"] and e["width"] > 64 for e in golden["images"])
    model = onnx.load(str(path))
    tol = golden["tolerances"]
    for output in ("error_map", "score"):
        assert 0 < golden["float32_rounding"][output] < 1e-2
        assert tol[output]["abs"] >= FLOAT32_MARGIN * golden["float32_rounding"][output]
    for e in golden["images"]:
        x = preprocess(tmp_path / "golden" / e["file"], 1, 64, 64)[None]
        stored = np.fromfile(tmp_path / "golden" / e["preprocessed_file"], dtype="<f4").reshape(x.shape)
        np.testing.assert_array_equal(stored, x)
        out = onnx_reference.run(model, {"image": stored})
        emap = np.fromfile(tmp_path / "golden" / e["error_map_file"], dtype="<f4")
        np.testing.assert_allclose(out["error_map"].ravel(), emap, rtol=tol["error_map"]["rel"],
                                   atol=tol["error_map"]["abs"])
        assert out["score"][0] == pytest.approx(e["score"], rel=tol["score"]["rel"], abs=tol["score"]["abs"])


def test_golden_tolerances_widen_with_the_models_float32_rounding():
    assert golden_tolerances({"error_map": 1e-6, "score": 1e-6}) == GOLDEN_TOLERANCES
    wide = golden_tolerances({"error_map": 1e-3, "score": 2e-3})
    assert wide["error_map"] == {"abs": FLOAT32_MARGIN * 1e-3, "rel": GOLDEN_TOLERANCES["error_map"]["rel"]}
    assert wide["score"]["abs"] == FLOAT32_MARGIN * 2e-3
    assert wide["preprocessed"] == GOLDEN_TOLERANCES["preprocessed"]  # decoding/preprocessing stays exact
    assert GOLDEN_TOLERANCES["score"]["abs"] == 5e-4  # the constants themselves are not modified


def test_exporter_asks_for_the_torchscript_path_on_new_torch(monkeypatch):
    kwargs = export_kwargs()
    has_dynamo = "dynamo" in inspect.signature(torch.onnx.export).parameters
    assert ("dynamo" in kwargs) == has_dynamo
    if has_dynamo:
        assert kwargs["dynamo"] is False

    def fake_export(model, args, f, *, dynamo=True, **kw):  # a torch >= 2.5 signature
        pass
    monkeypatch.setattr(export_mod.torch.onnx, "export", fake_export)
    assert export_kwargs()["dynamo"] is False
    assert export_kwargs()["opset_version"] == 17


def test_reflect_padding_exports_as_pad_nodes_not_gathers(exported):
    """Gather-based padding took 64 % of ONNX Runtime's CPU time for the model (docs/performance.md)."""
    _, _, path = exported
    nodes = onnx.load(str(path)).graph.node
    spatial_gathers = [n for n in nodes if n.op_type == "Gather"
                       and next((a.i for a in n.attribute if a.name == "axis"), 0) in (2, 3)]
    assert not spatial_gathers
    pads = [n for n in nodes if n.op_type == "Pad"]
    # 4 encoder convs + 1 extra + 4 decoder + 1 output conv, the SSIM window and the blur.
    assert len(pads) == 12
    assert all(next(a.s for a in n.attribute if a.name == "mode") == b"reflect" for n in pads)


def test_a_cae_with_skip_connections_exports_and_computes_the_same(tmp_path):
    from defect_cae.model import CAEConfig, ScoringConfig, build_detector
    torch.manual_seed(0)
    det = build_detector(CAEConfig(height=64, width=64, skips=2), ScoringConfig(top_k=4)).eval()
    path = export_onnx(det, tmp_path / "skips.onnx")
    assert_onnx_computes_the_module(det, path, np.random.default_rng(0).random((3, 1, 64, 64), dtype=np.float32))


def test_golden_images_from_a_large_noisy_sample_fit_the_jobs_frame_limits(tmp_path):
    """An MVTec AD 2-sized sample (2448x2048) of incompressible noise: its PNG variants stay under 16 MiB."""
    big = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (2048, 2448, 3), dtype=np.uint8)).save(big)
    images = golden_images_from([("defect", big), ("good", big)], 3)
    for name, image, _ in images:
        image.save(tmp_path / name)
        assert (tmp_path / name).stat().st_size <= GOLDEN_MAX_BYTES, name
    sides = {name: image.size for name, image, _ in images}
    assert max(sides["rgb_defect.png"]) == GOLDEN_MAX_SIDE and sides["rgb_defect.png"][0] > sides["rgb_defect.png"][1]
    assert max(sides["large_nonsquare_defect.png"]) > GOLDEN_MAX_SIDE  # still larger than the others


def test_golden_images_of_two_samples_with_one_label_get_distinct_names(mvtec_root):
    good = sorted((mvtec_root / "test" / "good").iterdir())[:2]
    names = [name for name, _, _ in golden_images_from([("good", good[0]), ("good", good[1])], 1)]
    assert len(names) == len(set(names)) and "gray_good.png" in names and "gray_good2.png" in names


def test_golden_images_of_one_sample_cover_every_decoding_path(mvtec_root):
    one = sorted((mvtec_root / "test" / "good").iterdir())[0]
    names = sorted(name.split("_image0")[0] for name, _, _ in golden_images_from([("image0", one)], 1))
    assert names == ["gray", "gray16", "large_nonsquare", "palette", "rgb", "rgba"]

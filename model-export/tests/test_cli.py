import json
import os
import re
import subprocess
import sys
from pathlib import Path

from mini_schema import validate

ROOT = Path(__file__).resolve().parents[1]


def _run(args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OMP_WAIT_POLICY="PASSIVE")
    return subprocess.run([sys.executable, "-m", "defect_cae", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=240)


def test_help_lists_the_subcommands(tmp_path):
    r = _run(["--help"], tmp_path)
    assert r.returncode == 0
    for cmd in ("run", "train", "calibrate", "evaluate", "export"):
        assert cmd in r.stdout


def test_run_trains_calibrates_evaluates_and_exports(mvtec_root, tmp_path):
    out = tmp_path / "model"
    r = _run(["run", "--data", str(mvtec_root), "--out", str(out), "--work-dir", str(tmp_path / "work"),
              "--size", "64", "--epochs", "2", "--widths", "8,8,16,16", "--threads", "2", "--head-grid"], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "epoch    1/2" in r.stdout and "val" in r.stdout
    assert re.search(r"false alarms \d+ of 6 good images", r.stdout)  # the fixture's test/good
    card = json.loads((out / "cae.card.json").read_text())
    grid = card["metrics"]["scoring_head_selection"]
    assert len(grid) == 12 and "scoring head chosen on synthetic validation" in r.stdout
    assert {(g["error"], g["smoothing_sigma"], g["per_image_norm"]) for g in grid} == {
        (e, s, n) for e in ("ssim", "sq") for s in (1.0, 2.0, 4.0) for n in (True, False)}
    assert validate(card, json.loads((ROOT / "model-card.schema.json").read_text())) == []
    # every newly exported card carries the input range, from all 48 good images of the fixture's train/good
    assert card["thresholds"]["input_range"]["images"] == 48 and "input range from 48 good images" in r.stdout
    assert re.search(r"input out of range: \d+ test images \(\d+ good\)", r.stdout)
    # the frame guard comes with per-image normalisation, and the card says which the graph computes
    assert card["score"]["frame_guard"] == card["score"]["per_image_norm"] == ("frame_guard" in card["thresholds"])
    assert ("guard" in card["score"]["definition"]) == card["score"]["frame_guard"]
    assert card["input"] == {"name": "image", "channels": 1, "height": 64, "width": 64, "dtype": "float32",
                             "layout": "NCHW", "min_frame_aspect_tolerance": 0.0}
    assert set(card["metrics"]["test"]["per_type"]) == {"line", "spot"}
    assert (out / "cae.onnx").exists() and (out / "golden" / "golden.json").exists()
    for plot in ("roc.png", "score_histogram.png", "examples.png", "report.md"):
        assert (out / "report" / plot).exists(), plot
    # exporting run's detector.pt again gives the same card (for a model that is run's own, in another folder)
    again = tmp_path / "again"
    r = _run(["export", "--detector", str(tmp_path / "work" / "detector.pt"), "--out", str(again),
              "--name", card["name"], "--version", card["version"]], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    re_card = json.loads((again / "cae.card.json").read_text())
    assert re_card["training"]["config"]["train"] == card["training"]["config"]["train"] is not None
    assert re_card["metrics"]["synthetic_validation"]["overall"] == card["metrics"]["synthetic_validation"]["overall"]


def test_split_commands_chain(mvtec_root, tmp_path):
    work = tmp_path / "w"
    common = ["--data", str(mvtec_root), "--size", "64"]
    r = _run(["train", *common, "--work-dir", str(work), "--epochs", "1", "--widths", "8,8,8,8",
              "--train-crop", "32"], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    r = _run(["calibrate", "--data", str(mvtec_root), "--checkpoint", str(work / "best.pt")], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "input range from 48 good images" in r.stdout
    r = _run(["evaluate", "--data", str(mvtec_root), "--detector", str(work / "detector.pt"), "--report",
              str(tmp_path / "rep")], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert re.search(r"input out of range: \d+ of 14 test images \(\d+ of 6 good\)", r.stdout)
    r = _run(["export", "--detector", str(work / "detector.pt"), "--out", str(tmp_path / "m"), "--name", "x",
              "--golden", str(sorted((mvtec_root / "test" / "good").glob("*.png"))[0])], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    card = json.loads((tmp_path / "m" / "cae.card.json").read_text())
    assert card["metrics"]["test"]["overall"]["image_auroc"] is not None
    assert card["thresholds"]["input_range"]["images"] == 48
    assert card["score"]["frame_guard"] and card["thresholds"]["frame_guard"]["level"]["band"] > 0  # the default
    # The exported file itself (with the guard: the graph computes it), scored without PyTorch, gives the
    # detector's metrics.
    r = _run(["evaluate", "--data", str(mvtec_root), "--model", str(tmp_path / "m" / "cae.onnx"), "--report",
              str(tmp_path / "rep-onnx")], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    from_onnx = _strict_json(tmp_path / "rep-onnx" / "metrics.json")
    from_torch = _strict_json(work / "detector.metrics.json")
    # both apply the card's input range as the job does, and say how many test images lie outside it
    assert "input out of range: " in r.stdout
    assert from_onnx["overall"]["input_out_of_range"] == from_torch["overall"]["input_out_of_range"]
    for key in ("image_auroc", "pixel_auroc", "aupro"):
        assert abs(from_onnx["overall"][key] - from_torch["overall"][key]) <= 2e-4, key
    assert from_onnx["overall"]["image_at_threshold"]["tp"] == from_torch["overall"]["image_at_threshold"]["tp"]
    assert "\"engine\": " in (tmp_path / "rep-onnx" / "report.md").read_text()  # onnxruntime or the numpy one
    assert from_onnx["fpr_limit"] == 0.3 and "AUPRO@30%" in (tmp_path / "rep-onnx" / "report.md").read_text()
    r = _run(["evaluate", "--data", str(mvtec_root), "--model", str(tmp_path / "m" / "cae.onnx"), "--report",
              str(tmp_path / "rep-5"), "--fpr-limit", "0.05"], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert _strict_json(tmp_path / "rep-5" / "metrics.json")["fpr_limit"] == 0.05
    assert "AUPRO@5%" in (tmp_path / "rep-5" / "report.md").read_text()
    # Per image, what the job would decide: one row per test image, as many alerts as the metrics count.
    import csv
    with open(tmp_path / "rep-onnx" / "predictions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    counts = from_onnx["overall"]["image_at_threshold"]
    assert len(rows) == len(list((mvtec_root / "test").rglob("*.png")))
    assert sum(int(r["alert"]) for r in rows) == counts["tp"] + counts["fp"]
    assert sum(int(r["alert"]) * int(r["defective"]) for r in rows) == counts["tp"]
    assert sum(int(r["input_out_of_range"]) for r in rows) == from_onnx["overall"]["input_out_of_range"]
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows), reverse=True)
    assert all(Path(r["file"]).is_file() for r in rows)
    # Exported again into the same folder without --golden: the earlier vectors go, or the job would check the
    # new model against them.
    r = _run(["export", "--detector", str(work / "detector.pt"), "--out", str(tmp_path / "m"), "--name", "x"],
             tmp_path)
    assert r.returncode == 0 and not (tmp_path / "m" / "golden").exists() and "removed" in r.stdout, r.stderr[-2000:]
    # torch >= 2.6 loads with weights_only=True by default: it accepts tensors and plain Python containers and
    # scalars, but not numpy scalars or other classes, so every checkpoint must hold only those.
    import torch
    from defect_cae.train import LOAD_KWARGS
    for pt in ("best.pt", "last.pt", "detector.pt"):
        assert _not_weights_only_loadable(torch.load(work / pt, map_location="cpu", **LOAD_KWARGS)) == [], pt
    # Recalibrated after its evaluation: the metrics on file are no longer this detector's.
    r = _run(["calibrate", "--data", str(mvtec_root), "--checkpoint", str(work / "best.pt"), "--top-k", "8"],
             tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    r = _run(["export", "--detector", str(work / "detector.pt"), "--out", str(tmp_path / "m2"), "--name", "x"],
             tmp_path)
    assert r.returncode == 0 and "recalibrated since" in r.stdout, r.stderr[-2000:]
    assert json.loads((tmp_path / "m2" / "cae.card.json").read_text())["metrics"]["test"] is None


def _strict_json(path):
    """JSON as other tools read it: NaN and Infinity are not JSON (Python's json module accepts them)."""
    def refuse(constant):
        raise ValueError(f"{path} holds {constant}, which is not JSON")
    return json.loads(path.read_text(), parse_constant=refuse)


def test_metrics_files_hold_null_for_undefined_figures():
    from defect_cae.export import json_safe
    import numpy as np
    assert json.dumps(json_safe({"precision": float("nan"), "n": np.int64(3), "auroc": np.float32(0.5)}),
                      allow_nan=False) == '{"precision": null, "n": 3, "auroc": 0.5}'


def test_calibrate_holds_out_what_training_held_out_and_refuses_another_split(mvtec_root, tmp_path):
    import shutil
    data, work = tmp_path / "category", tmp_path / "w"
    shutil.copytree(mvtec_root, data)
    r = _run(["train", "--data", str(data), "--size", "64", "--work-dir", str(work), "--epochs", "1", "--widths",
              "8,8,8,8", "--val-fraction", "0.25"], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    calibrate = ["calibrate", "--data", str(data), "--checkpoint", str(work / "best.pt")]
    r = _run(calibrate, tmp_path)  # no fractions given: the training's 0.25, not the default 0.15
    assert r.returncode == 0, r.stderr[-2000:]
    assert "29 train / 12 val / 7 calib" in r.stdout
    r = _run([*calibrate, "--val-fraction", "0.15"], tmp_path)
    assert r.returncode != 0
    assert "--val-fraction 0.15" in r.stderr and "trained with 0.25" in r.stderr and "Traceback" not in r.stderr
    # An image added since training reshuffles the split: some calibration images would have been trained on.
    shutil.copy(sorted((data / "train" / "good").glob("*.png"))[0], data / "train" / "good" / "zz-added.png")
    r = _run(calibrate, tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "its good images are not those" in r.stderr and "train again" in r.stderr


def test_held_out_fractions_and_sizes_that_cannot_train_are_refused(mvtec_root, tmp_path):
    train = ["train", "--data", str(mvtec_root), "--work-dir", str(tmp_path / "w")]
    r = _run([*train, "--val-fraction", "1.5"], tmp_path)
    assert r.returncode != 0 and "between 0 and 1" in r.stderr
    r = _run([*train, "--val-fraction", "0.5", "--calib-fraction", "0.45"], tmp_path)
    assert r.returncode != 0 and "below 0.9" in r.stderr and "Traceback" not in r.stderr
    r = _run([*train, "--size", "16"], tmp_path)
    assert r.returncode != 0 and "at least 32 for 4 stages" in r.stderr and "Traceback" not in r.stderr


def test_a_blank_model_name_or_version_is_refused(mvtec_root, tmp_path):
    for option in ("--name", "--version"):
        r = _run(["run", "--data", str(mvtec_root), "--out", str(tmp_path / "o"), option, " "], tmp_path)
        assert r.returncode == 2 and f"argument {option}: give a non-blank value" in r.stderr, r.stderr
    r = _run(["export", "--detector", str(tmp_path / "none.pt"), "--out", str(tmp_path / "o"), "--name", ""],
             tmp_path)
    assert r.returncode == 2 and "argument --name: give a non-blank value" in r.stderr, r.stderr


def _not_weights_only_loadable(x, path="") -> list[str]:
    import torch
    if isinstance(x, dict):
        return [p for k, v in x.items() for p in _not_weights_only_loadable(k, path) +
                _not_weights_only_loadable(v, f"{path}.{k}")]
    if isinstance(x, (list, tuple)):
        return [p for v in x for p in _not_weights_only_loadable(v, path + "[]")]
    if type(x) in (str, int, float, bool, type(None), torch.Size) or isinstance(x, torch.Tensor):
        return []
    return [f"{path}: {type(x).__module__}.{type(x).__name__}"]


def test_evaluate_model_refuses_a_model_without_card_or_scoring_outputs(mvtec_root, tmp_path):
    import onnx
    from onnx import helper, TensorProto
    alone = tmp_path / "alone" / "cae.onnx"
    alone.parent.mkdir()
    graph = helper.make_graph([helper.make_node("Identity", ["image"], ["reconstruction"])], "g",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 64, 64])],
                              [helper.make_tensor_value_info("reconstruction", TensorProto.FLOAT, [1, 1, 64, 64])])
    onnx.save(helper.make_model(graph), str(alone))
    r = _run(["evaluate", "--data", str(mvtec_root), "--model", str(alone)], tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "no model card beside" in r.stderr
    card = json.loads((ROOT.parent / "models" / "default" / "cae.card.json").read_text())
    del card["onnx"]["sha256"]  # else the card is refused first, as another file's (the next test)
    alone.with_name("cae.card.json").write_text(json.dumps(card))
    r = _run(["evaluate", "--data", str(mvtec_root), "--model", str(alone)], tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "no output error_map, score (it has reconstruction)" in r.stderr
    # A file that is not ONNX, and a card that is not JSON: one line each.
    alone.write_bytes(b"not a model\n")
    r = _run(["evaluate", "--data", str(mvtec_root), "--model", str(alone)], tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr and f"{alone} is not an ONNX model" in r.stderr
    onnx.save(helper.make_model(graph), str(alone))  # (the file is checked first: a valid one again)
    alone.with_name("cae.card.json").write_text("{")
    r = _run(["evaluate", "--data", str(mvtec_root), "--model", str(alone)], tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{alone.with_name('cae.card.json')} is not a model card" in r.stderr


def test_train_crop_that_does_not_fit_the_model_is_refused(mvtec_root, tmp_path):
    r = _run(["train", "--data", str(mvtec_root), "--size", "64", "--work-dir", str(tmp_path / "w"),
              "--train-crop", "40"], tmp_path)
    assert r.returncode != 0 and "--train-crop 40" in r.stderr


def test_data_errors_are_one_line_with_the_fix_not_a_traceback(mvtec_root, tmp_path):
    # The usual slip: the dataset's top folder instead of one category in it.
    r = _run(["run", "--data", str(mvtec_root.parent), "--out", str(tmp_path / "m")], tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr
    assert f"--data {mvtec_root}" in r.stderr
    assert not (tmp_path / "m").exists()


def test_an_unreadable_training_image_stops_run_before_anything_is_written(mvtec_root, tmp_path):
    import shutil
    data = tmp_path / "category"
    shutil.copytree(mvtec_root, data)
    bad = sorted((data / "train" / "good").iterdir())[3]
    bad.write_bytes(bad.read_bytes()[:40])  # a truncated PNG
    r = _run(["run", "--data", str(data), "--out", str(tmp_path / "m"), "--work-dir", str(tmp_path / "w")],
             tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{bad} cannot be read as an image" in r.stderr
    assert not (tmp_path / "m").exists() and not (tmp_path / "w").exists()


def test_a_missing_detector_file_is_one_line(mvtec_root, tmp_path):
    r = _run(["evaluate", "--detector", str(tmp_path / "none.pt"), "--data", str(mvtec_root)], tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "none.pt" in r.stderr


def test_help_shows_the_defaults(tmp_path):
    r = _run(["run", "--help"], tmp_path)
    assert r.returncode == 0
    flat = " ".join(r.stdout.split())
    for shown in ("(default: 150)", "(default: 16,32,64,64)", "(default: 0)", "(default: auto)"):
        assert shown in flat, shown


def test_workers_are_auto_or_a_count_and_auto_keeps_training_in_one_process_on_cpu(tmp_path):
    import torch
    from defect_cae.cli import resolve_workers
    assert resolve_workers("auto", torch.device("cpu")) == 0
    assert 0 <= resolve_workers("auto", torch.device("cuda")) <= 4 and resolve_workers(3, torch.device("cpu")) == 3
    r = _run(["train", "--data", str(tmp_path), "--workers", "two"], tmp_path)
    assert r.returncode == 2 and "expected auto or a count of processes" in r.stderr


def test_option_values_out_of_range_are_one_line_before_any_work(tmp_path):
    from defect_cae.cli import build_parser
    parser = build_parser()
    cases = {"--epochs": "0", "--batch-size": "0", "--lr": "nan", "--threads": "0", "--latent": "0",
             "--widths": "16,abc", "--ssim-weight": "1.5", "--denoise-prob": "-1", "--size": "100000"}
    for option, bad in cases.items():
        r = _run(["train", "--data", str(tmp_path), "--work-dir", str(tmp_path / "w"), option, bad], tmp_path)
        assert r.returncode == 2 and f"argument {option}" in r.stderr and "Traceback" not in r.stderr, option
    for option, bad in {"--target-far": "0", "--smoothing-sigma": "0", "--top-k": "-5",
                        "--min-region-area": "0"}.items():
        r = _run(["calibrate", "--checkpoint", "x.pt", "--data", str(tmp_path), option, bad], tmp_path)
        assert r.returncode == 2 and f"argument {option}" in r.stderr and "Traceback" not in r.stderr, option
    args = parser.parse_args(["train", "--data", "d", "--work-dir", "w", "--lr", "1e-3", "--ssim-weight", "0"])
    assert args.lr == 1e-3 and args.ssim_weight == 0.0  # the bounds themselves are fine where they are closed
    r = _run(["train", "--data", str(tmp_path), "--work-dir", str(tmp_path / "w"), "--train-crop", "40"], tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: --train-crop 40")  # combinations: the same form
    r = _run(["train", "--data", str(tmp_path), "--work-dir", str(tmp_path / "w"), "--skips", "9"], tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: --skips 9: at most 4")
    r = _run(["run", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--size", "32", "--top-k", "2000"],
             tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: --top-k 2000: more than the 32x32 error map's 1024")
    r = _run(["run", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--size", "32", "--smoothing-sigma",
              "11"], tmp_path)  # a blur of radius 33: before training, not a traceback after it
    assert r.returncode == 2 and r.stderr.startswith("error: --smoothing-sigma 11: its blur reaches 33 pixels") \
        and r.stderr.strip().endswith("use at most 10.33"), r.stderr  # floored, so the suggestion itself passes
    r = _run(["run", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--size", "200x128"], tmp_path)
    assert r.returncode == 2 and "each side must be a multiple of 16" in r.stderr \
        and r.stderr.strip().endswith("e.g. 192x128 or 208x128"), r.stderr
    r = _run(["run", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--size", "20x20"], tmp_path)
    assert r.returncode == 2 and r.stderr.strip().endswith("e.g. 32x32"), r.stderr  # never below two multiples


def test_an_out_folder_that_is_a_file_is_one_line(mvtec_root, tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    r = _run(["train", "--data", str(mvtec_root), "--work-dir", str(tmp_path / "taken"), "--epochs", "1",
              "--size", "32"], tmp_path)
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].startswith("error: ") \
        and "Traceback" not in r.stderr, r.stderr[-2000:]
    # run (which checks its --out first) and calibrate say so before they train or calibrate
    r = _run(["run", "--data", str(mvtec_root), "--out", str(tmp_path / "taken"), "--size", "32"], tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: --out ") and "a file is there" in r.stderr \
        and "epoch" not in r.stderr, r.stderr[-2000:]
    r = _run(["calibrate", "--checkpoint", "none.pt", "--data", str(mvtec_root), "--out", str(tmp_path)], tmp_path)
    assert r.returncode == 2 and f"--out {tmp_path} is a folder: give the detector file to write" in r.stderr
    # a file that is not there is named with what to give, not as a bare errno
    r = _run(["calibrate", "--checkpoint", str(tmp_path / "none.pt"), "--data", str(mvtec_root)], tmp_path)
    assert r.returncode == 2 and r.stderr.strip() == (f"error: {tmp_path / 'none.pt'} does not exist: give best.pt "
                                                      "or last.pt, written by `train`"), r.stderr
    r = _run(["evaluate", "--detector", str(tmp_path / "nope.pt"), "--data", str(mvtec_root)], tmp_path)
    assert r.returncode == 2 and f"{tmp_path / 'nope.pt'} does not exist: give detector.pt" in r.stderr, r.stderr


def test_evaluate_model_refuses_a_card_of_another_onnx_file(tmp_path):
    import shutil
    default = ROOT.parent / "models" / "default"
    for name in ("cae.onnx", "cae.card.json"):
        shutil.copy(default / name, tmp_path / name)
    onnx = tmp_path / "cae.onnx"
    onnx.write_bytes(onnx.read_bytes() + b"\0")  # another file beside the same card (a half-copied export)
    r = _run(["evaluate", "--model", str(onnx), "--data", "unused"], tmp_path)
    assert r.returncode == 2 and "describes another ONNX file" in r.stderr, r.stderr[-2000:]


def test_size_is_n_or_width_x_height():
    import argparse

    import pytest
    from defect_cae.cli import image_size
    assert image_size("128") == (128, 128)
    assert image_size("192x128") == (128, 192)  # width first; (height, width) back
    for bad in ("", "0", "12x", "x12", "64x0", "-64", "64*32"):
        with pytest.raises(argparse.ArgumentTypeError):
            image_size(bad)


def test_non_square_frames_train_a_non_square_model_or_stop_with_the_size_to_use(tmp_path):
    from synthetic_mvtec import make_mvtec
    data = make_mvtec(tmp_path / "wide", n_train=24, n_test_good=3, n_test_defect=2, size=32, width=64, seed=5)
    # A square model for 2:1 frames: the job would reject them all, so training stops and names the fix.
    r = _run(["run", "--data", str(data), "--out", str(tmp_path / "sq"), "--size", "32"], tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "64x32 defect-free images" in r.stderr and "--size 64x32 to keep their shape" in r.stderr
    assert not (tmp_path / "sq").exists()
    r = _run(["train", "--data", str(data), "--size", "32", "--squash", "--epochs", "1", "--widths", "8,8,8,8",
              "--work-dir", str(tmp_path / "squashed"), "--workers", "1"], tmp_path)  # and a worker process
    assert r.returncode == 0, r.stderr[-2000:]
    # The shape it names: a 1x32x64 model end to end, golden vectors included.
    out = tmp_path / "wide-model"
    golden_image = sorted((data / "test" / "spot").glob("*.png"))[0]
    r = _run(["run", "--data", str(data), "--out", str(out), "--work-dir", str(tmp_path / "w"), "--size", "64x32",
              "--epochs", "2", "--widths", "8,8,8,8", "--no-per-image-norm"], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    card = json.loads((out / "cae.card.json").read_text())
    # Without --head-grid the head is the one given: the defaults, and the option passed.
    assert "scoring head chosen" not in r.stdout and "scoring_head_selection" not in card["metrics"]
    assert "scoring head as given: error ssim, sigma 1.0, per-image norm False" in r.stdout
    assert (card["score"]["error"], card["score"]["smoothing_sigma"], card["score"]["per_image_norm"]) == \
        ("ssim", 1.0, False)
    assert (card["input"]["height"], card["input"]["width"]) == (32, 64)
    golden = json.loads((out / "golden" / "golden.json").read_text())
    assert all(g["error_map_shape"] == [32, 64] for g in golden["images"])
    r = _run(["evaluate", "--data", str(data), "--model", str(out / "cae.onnx")], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    r = _run(["preprocess", "--image", str(golden_image), "--size", "64x32", "--out", str(tmp_path / "x.f32")],
             tmp_path)
    assert r.returncode == 0 and "shape [1, 32, 64]" in r.stdout


def test_a_device_this_pytorch_cannot_use_stops_at_start(mvtec_root, tmp_path):
    import torch
    if torch.cuda.is_available():  # the CUDA case needs a CPU-only PyTorch; the other two hold everywhere
        devices = {"gpu": "not a device name", "mps": "only cpu and cuda"}
    else:
        devices = {"cuda": "sees no CUDA GPU", "gpu": "not a device name", "mps": "only cpu and cuda"}
    for device, says in devices.items():
        r = _run(["train", "--data", str(mvtec_root), "--size", "64", "--work-dir", str(tmp_path / device),
                  "--device", device], tmp_path)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
        assert r.stderr.startswith(f"error: --device {device}: ") and says in r.stderr
        assert not (tmp_path / device).exists()


def test_a_file_that_is_not_the_checkpoint_asked_for_is_one_line(mvtec_root, tmp_path):
    import torch
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    r = _run(["evaluate", "--data", str(mvtec_root), "--detector", str(junk)], tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{junk} cannot be read as a model-export checkpoint" in r.stderr
    # What `train` writes, given where `calibrate`'s detector.pt belongs.
    best = tmp_path / "best.pt"
    torch.save({"cae_config": {}, "state_dict": {}}, best)
    for args in (["evaluate", "--data", str(mvtec_root), "--detector", str(best)],
                 ["export", "--detector", str(best), "--out", str(tmp_path / "m"), "--name", "x"]):
        r = _run(args, tmp_path)
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert f"{best} has no scoring_config: give detector.pt, written by `calibrate`" in r.stderr


def test_ctrl_c_during_training_says_how_to_resume_and_resume_finishes_the_run(mvtec_root, tmp_path):
    import signal
    import time
    work = tmp_path / "work"
    args = ["train", "--data", str(mvtec_root), "--work-dir", str(work), "--size", "64", "--epochs", "60",
            "--widths", "8,8,16,16", "--patience", "100", "--threads", "1"]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OMP_WAIT_POLICY="PASSIVE")
    # A shell running this suite in the background (no job control) starts it with SIGINT ignored, which the
    # child would inherit: give it the default disposition, as a terminal's Ctrl-C would find it.
    proc = subprocess.Popen([sys.executable, "-m", "defect_cae", *args], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while not (work / "last.pt").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "same command with --resume" in err and "Traceback" not in err

    r = _run([*args, "--resume"], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "resuming" in r.stdout and "max epochs" in r.stdout
    assert [h["epoch"] for h in json.loads((work / "history.json").read_text())] == list(range(1, 61))


def test_a_run_interrupted_while_writing_its_output_says_the_output_is_incomplete(mvtec_root, tmp_path, monkeypatch,
                                                                                   capsys):
    from defect_cae import cli, pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(pipeline, "write_report_for", interrupted)  # Ctrl-C while the report is written
    out = tmp_path / "model"
    rc = cli.main(["run", "--data", str(mvtec_root), "--out", str(out), "--work-dir", str(tmp_path / "work"),
                   "--size", "64", "--epochs", "1", "--widths", "8,8,8,8"])
    assert rc == 130 and (out / pipeline.INCOMPLETE).is_file()
    assert "it is incomplete" in capsys.readouterr().err
    monkeypatch.undo()
    rc = cli.main(["run", "--data", str(mvtec_root), "--out", str(out), "--work-dir", str(tmp_path / "work"),
                   "--size", "64", "--epochs", "1", "--widths", "8,8,8,8", "--resume"])
    assert rc == 0 and not (out / pipeline.INCOMPLETE).exists() and (out / "report" / "report.md").is_file()


def test_calibrate_given_a_detector_and_export_given_a_bad_golden_image_say_what_to_give(mvtec_root, tmp_path):
    work = tmp_path / "w"
    r = _run(["train", "--data", str(mvtec_root), "--size", "64", "--work-dir", str(work), "--epochs", "1",
              "--widths", "8,8,8,8"], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert _run(["calibrate", "--data", str(mvtec_root), "--checkpoint", str(work / "best.pt")],
                tmp_path).returncode == 0
    r = _run(["calibrate", "--data", str(mvtec_root), "--checkpoint", str(work / "detector.pt")], tmp_path)
    assert r.returncode == 2 and "is a detector" in r.stderr and "best.pt" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "notes.png").write_text("not an image")
    r = _run(["export", "--detector", str(work / "detector.pt"), "--out", str(tmp_path / "m"), "--name", "x",
              "--golden", str(tmp_path / "notes.png")], tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: --golden:") and not (tmp_path / "m").exists()


def test_output_folders_that_cannot_be_written_and_models_that_are_not_onnx_are_named(mvtec_root, tmp_path):
    (tmp_path / "taken").write_text("a file")  # (--out being a file: test_an_out_folder_that_is_a_file_is_one_line)
    r = _run(["train", "--data", str(mvtec_root), "--work-dir", str(tmp_path / "taken" / "w"), "--size", "64"],
             tmp_path)
    assert r.returncode == 2 and "--work-dir" in r.stderr and "is a file, so the folder cannot be made" in r.stderr
    model = tmp_path / "m" / "cae.onnx"  # a card beside a file that is not ONNX: the file is what is wrong
    model.parent.mkdir()
    model.write_bytes(b"\x00not onnx")
    (tmp_path / "m" / "cae.card.json").write_text(json.dumps({"onnx": {"sha256": "0" * 64}}))
    r = _run(["evaluate", "--data", str(mvtec_root), "--model", str(model)], tmp_path)
    assert r.returncode == 2 and "is not an ONNX model" in r.stderr
    r = _run(["preprocess", "--image", str(tmp_path / "nope.png"), "--channels", "1", "--size", "64"], tmp_path)
    assert r.returncode == 2 and r.stderr.startswith(f"error: --image {tmp_path / 'nope.png'}: ")
    from PIL import Image
    Image.new("CMYK", (8, 8)).save(tmp_path / "cmyk.jpg")  # an image the job refuses: one line, no traceback
    r = _run(["preprocess", "--image", str(tmp_path / "cmyk.jpg"), "--channels", "1", "--size", "64"], tmp_path)
    assert r.returncode == 2 and r.stderr.startswith(f"error: --image {tmp_path / 'cmyk.jpg'}: CMYK")
    assert "Traceback" not in r.stderr


def test_input_range_adds_the_section_to_an_earlier_card_and_refuses_other_data(detector, dataset, mvtec_root,
                                                                                tmp_path):
    import numpy as np
    from defect_cae.calibrate import fit_input_range
    from defect_cae.data import good_images, load_images
    from defect_cae.export import build_card, export_onnx, write_card
    det, cal = detector
    thresholds = {k: v for k, v in cal.card_thresholds().items() if k != "input_range"}  # exported before it
    onnx = export_onnx(det, tmp_path / "cae.onnx")
    card = build_card(det, onnx, "cae-test", "2026-01-01.1", thresholds, {"test": None},
                      {"data": dataset.summary, "config": {}})
    path = write_card(card, tmp_path / "cae.card.json")
    before = json.loads(path.read_text())
    assert "input_range" not in before["thresholds"]
    r = _run(["input-range", "--card", str(path), "--data", str(mvtec_root)], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "input range from 48 good images" in r.stdout
    after = json.loads(path.read_text())
    good = load_images(good_images(mvtec_root), 1, 64, 64)
    expected = fit_input_range(good, before["thresholds"]["target_false_alarm_rate"])
    assert after["thresholds"]["input_range"] == json.loads(json.dumps(expected))
    # nothing else changes, in content, key order or format (export's: indent 2, newline at the end)
    before["thresholds"]["input_range"] = after["thresholds"]["input_range"]
    assert path.read_text() == json.dumps(before, indent=2) + "\n"
    assert validate(after, json.loads((ROOT / "model-card.schema.json").read_text())) == []
    # run again, it refreshes the section in place
    assert _run(["input-range", "--card", str(path), "--data", str(mvtec_root)], tmp_path).returncode == 0
    assert path.read_text() == json.dumps(before, indent=2) + "\n"
    # other data than the card's training data: refused, the card untouched, unless --force
    before["training"]["data"]["sha256"] = "0" * 64
    del before["thresholds"]["input_range"]
    path.write_text(json.dumps(before, indent=2) + "\n")
    r = _run(["input-range", "--card", str(path), "--data", str(mvtec_root)], tmp_path)
    assert r.returncode == 2 and "not those the model was trained on" in r.stderr and "--force" in r.stderr
    assert "Traceback" not in r.stderr and "input_range" not in json.loads(path.read_text())["thresholds"]
    r = _run(["input-range", "--card", str(path), "--data", str(mvtec_root), "--force"], tmp_path)
    assert r.returncode == 0 and "--force" in r.stderr, r.stderr[-2000:]
    forced = json.loads(path.read_text())["thresholds"]["input_range"]
    assert "--force" in forced["rule"] and forced["level"] == after["thresholds"]["input_range"]["level"]
    # a card of another preprocessing (or not a card) is one line
    before["preprocessing"]["resize"] = "bilinear"
    path.write_text(json.dumps(before, indent=2) + "\n")
    r = _run(["input-range", "--card", str(path), "--data", str(mvtec_root), "--force"], tmp_path)
    assert r.returncode == 2 and "preprocessing differs from this tool's in resize" in r.stderr
    (tmp_path / "x.json").write_text("[]")
    r = _run(["input-range", "--card", str(tmp_path / "x.json"), "--data", str(mvtec_root)], tmp_path)
    assert r.returncode == 2 and "is not a model card" in r.stderr


def test_run_refuses_per_image_norm_on_frames_mostly_masked_out_before_training(tmp_path):
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(0)
    data = tmp_path / "roi"
    for i in range(12):
        a = rng.integers(60, 200, (32, 32), dtype=np.uint8)
        a[:, :20] = 0  # outside the region of interest, black in every image
        (data / "train" / "good").mkdir(parents=True, exist_ok=True)
        Image.fromarray(a).save(data / "train" / "good" / f"{i:03d}.png")
    (data / "test" / "good").mkdir(parents=True)
    Image.fromarray(a).save(data / "test" / "good" / "000.png")
    r = _run(["run", "--data", str(data), "--out", str(tmp_path / "out"), "--work-dir", str(tmp_path / "w"),
              "--size", "32", "--epochs", "1"], tmp_path)
    assert r.returncode == 2, r.stderr
    assert "error: 62% of the frame does not vary across the good images" in r.stderr
    assert "--no-per-image-norm" in r.stderr and not (tmp_path / "w" / "best.pt").exists()
    # --head-grid and --ablation leave per-image normalisation out instead
    for i, extra in enumerate((["--head-grid"], ["--no-per-image-norm", "--ablation"])):
        r = _run(["run", "--data", str(data), "--out", str(tmp_path / f"out{i}"), "--work-dir", str(tmp_path / f"w{i}"),
                  "--size", "32", "--epochs", "1", "--widths", "8,8,8,8", *extra], tmp_path)
        assert r.returncode == 0, r.stderr[-2000:]
        card = json.loads((tmp_path / f"out{i}" / "cae.card.json").read_text())
        assert card["score"]["per_image_norm"] is False
        rows = card["metrics"].get("scoring_head_selection") or card["metrics"]["ablation"]
        assert rows and not any(row.get("per_image_norm") or "full" in row.get("name", "") for row in rows)

"""Trains and exports the small RGB CAE the flink-job parity tests use (models/rgb-cae), with model-export itself.

The default model is gray; this one checks the other half of the preprocessing contract (3 channels, R,G,B
order, gray replicated, RGBA/palette/16-bit rules) from a real `defect_cae run` on an MVTec-layout folder of
RGB images, the way an ML engineer retrains on their own product. Its frames are not square (128x96 images,
a 64x48 input: width and height are never swapped or confused). Tiny on purpose (narrow stages, 20 epochs):
the tests compare Java with Python, not detection quality.

    /usr/bin/python3 flink-job/src/test/python/make_rgb_cae.py      # ~10 s; rewrites the committed files
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
MODEL_EXPORT = ROOT / "model-export"
OUT = Path(__file__).resolve().parents[1] / "resources" / "models" / "rgb-cae"

sys.path.insert(0, str(MODEL_EXPORT / "tests"))
from synthetic_mvtec import make_mvtec  # noqa: E402  (model-export's own MVTec-layout fixture)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = make_mvtec(Path(tmp) / "widget", n_train=40, n_test_good=6, n_test_defect=4, size=96, width=128,
                          seed=3, rgb=True)
        shutil.rmtree(OUT, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "defect_cae", "run", "--data", str(data), "--out", str(OUT),
                        "--size", "64x48", "--widths", "8,8,16,16", "--latent", "4", "--epochs", "20",
                        "--name", "cae-rgb-test", "--version", "test.1", "--work-dir", str(Path(tmp) / "runs")],
                       check=True, cwd=MODEL_EXPORT, env={"PYTHONPATH": str(MODEL_EXPORT / "src"), "PATH": "/usr/bin:/bin"})
        shutil.rmtree(OUT / "report")  # plots for people; the tests need the model, card and golden vectors


if __name__ == "__main__":
    main()

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(2)

from synthetic_mvtec import make_mvtec  # noqa: E402

SIZE = 64


@pytest.fixture(scope="session")
def mvtec_root(tmp_path_factory) -> Path:
    return make_mvtec(tmp_path_factory.mktemp("data") / "fixture", n_train=48, n_test_good=6, n_test_defect=4,
                      size=SIZE, seed=0)


@pytest.fixture(scope="session")
def dataset(mvtec_root):
    from defect_cae.pipeline import load_dataset
    return load_dataset(mvtec_root, None, SIZE, SIZE, seed=0, log=lambda s: None)


@pytest.fixture(scope="session")
def trained(dataset):
    """A briefly trained CAE on the fixture (shared: training is the slow part of the suite)."""
    from defect_cae.model import CAEConfig
    from defect_cae.train import TrainConfig, train
    cfg = CAEConfig(channels=1, height=SIZE, width=SIZE, widths=(8, 16, 32, 32), latent_channels=4)
    return train(cfg, dataset.train, dataset.val, TrainConfig(epochs=25, batch_size=8, patience=50),
                 device=torch.device("cpu"), log=lambda s: None)


@pytest.fixture(scope="session")
def detector(trained, dataset):
    from defect_cae.model import ScoringConfig
    from defect_cae.pipeline import calibrate_and_score
    det, cal, val_m, test_m = calibrate_and_score(trained.model, dataset, ScoringConfig(top_k=4), 0.05, 4, "cpu")
    return det, cal

import numpy as np
import pytest

from defect_cae.calibrate import Calibration, calibrate, tail_threshold
from defect_cae.evaluate import predict
from defect_cae.model import ScoringConfig
from defect_cae.pipeline import make_detector
from synthetic_mvtec import make_mvtec
from defect_cae.data import list_images, load_images


def test_tail_threshold_rule_meets_its_false_alarm_target_on_fresh_samples():
    rng = np.random.default_rng(0)
    rates = []
    for _ in range(200):
        calib = rng.gumbel(3.0, 0.5, size=40)
        t, details = tail_threshold(calib, 0.05)
        assert t >= details["empirical_quantile"] and t >= details["gumbel_quantile"]
        rates.append(np.mean(rng.gumbel(3.0, 0.5, size=2000) > t))
    assert np.mean(rates) <= 0.05


def test_tail_threshold_uses_the_conformal_rank_when_there_are_enough_values():
    t, d = tail_threshold(np.arange(1, 200, dtype=float), 0.1)
    assert d["conformal_rank"] == 180 and d["empirical_quantile"] == 180.0


def _calibration(n: int, alpha: float) -> Calibration:
    t, d = tail_threshold(np.linspace(1.0, 2.0, n), alpha)
    return Calibration(alpha, 16, n, n, t, t, d, d, 0.0, 0.0)


def test_the_summary_says_when_there_are_too_few_calibration_images_for_the_target():
    few = _calibration(45, 0.01).summary()
    assert "45 images are too few to resolve 0.01 by rank (that needs 99)" in few
    assert "Gumbel fit" in few and "train/good" in few
    enough = _calibration(99, 0.01).summary()
    assert "split-conformal rank 99 of 99" in enough and "too few" not in enough
    assert "split-conformal rank 20 of 20" in _calibration(20, 0.05).summary()  # 0.05 needs only 19


@pytest.mark.parametrize("error", ["ssim", "sq"])
def test_calibration_meets_its_false_alarm_target_on_held_out_good_images(trained, dataset, fresh_good, error):
    # 60 good images calibrate, 100 other good images from the same "camera" (never seen by training or
    # calibration) measure the false-alarm rate. The conformal rule's guarantee is on average over calibration
    # draws, so a fixed draw may land a little above the target: allow 6 points of sampling slack.
    calib, held_out = fresh_good[:60], fresh_good[60:]
    det = make_detector(trained.model, ScoringConfig(error=error, top_k=4))
    target = 0.1
    cal = calibrate(det, dataset.val, calib, target_false_alarm_rate=target, min_region_area=4)
    assert cal.calibration_image_false_alarm_rate <= target
    assert float(det.head.image_threshold) == pytest.approx(cal.raw_image_score)
    pred = predict(det, held_out)
    far = np.mean(pred.scores >= 1.0)
    assert far <= target + 0.06, far
    # the pixel threshold bounds how often good images show min_region_area pixels above it
    region = (pred.error_maps >= 1.0).reshape(len(held_out), -1).sum(axis=1) >= 4
    assert np.mean(region) <= target + 0.06


@pytest.fixture(scope="module")
def fresh_good(tmp_path_factory):
    root = make_mvtec(tmp_path_factory.mktemp("fresh"), n_train=160, n_test_good=0, n_test_defect=0, size=64,
                      seed=11)
    return load_images(list_images(root / "train" / "good"), 1, 64, 64)


def test_normalisation_constants_come_from_good_images(detector):
    det, cal = detector
    h = det.head
    assert float(h.pixel_std.min()) > 0 and float(h.mad_floor) > 0
    assert cal.normalisation_images > 0 and cal.calibration_images > 0
    assert cal.raw_pixel > 0 and cal.raw_image_score > 0

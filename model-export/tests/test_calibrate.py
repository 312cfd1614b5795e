import numpy as np
import pytest
import torch

from defect_cae.calibrate import (GUARD_MARGIN, INPUT_RANGE_MARGIN, Calibration, calibrate, fit_input_range,
                                  input_statistics, out_of_input_range, run_stages, tail_threshold)
from defect_cae.evaluate import predict
from defect_cae.model import GUARD_DEFAULTS, GUARD_OFF, ScoringConfig
from defect_cae.train import LOAD_KWARGS
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
    # the card's figure counts the calibration images the job would flag: score >= 1, so the image whose score
    # sets the threshold (the conformal rank, or the largest score) counts too
    own = predict(det, calib)
    assert cal.calibration_image_false_alarm_rate == pytest.approx(np.mean(own.scores >= 1.0))
    if cal.image_rule_details["empirical_quantile"] >= cal.image_rule_details["gumbel_quantile"]:
        assert cal.calibration_image_false_alarm_rate >= 1 / len(calib)
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


def test_a_threshold_that_is_not_positive_stops_calibration(trained, dataset, fresh_good, monkeypatch):
    import defect_cae.calibrate as module
    from defect_cae.errors import ModelError
    monkeypatch.setattr(module, "tail_threshold", lambda values, alpha: (-0.5, {}))
    det = make_detector(trained.model, ScoringConfig(top_k=4))
    with pytest.raises(ModelError, match="both must be > 0"):
        calibrate(det, dataset.val, fresh_good[:20], target_false_alarm_rate=0.1, min_region_area=4)


def test_normalisation_constants_come_from_good_images(detector):
    det, cal = detector
    h = det.head
    assert float(h.pixel_std.min()) > 0 and float(h.mad_floor) > 0
    assert cal.normalisation_images > 0 and cal.calibration_images > 0
    assert cal.raw_pixel > 0 and cal.raw_image_score > 0


def _whole_frame_faults(good: np.ndarray) -> dict[str, np.ndarray]:
    x = good[0]
    return {"black (covered lens)": np.zeros_like(x), "white (blown out)": np.ones_like(x),
            "flat grey": np.full_like(x, 0.5), "noise": np.random.default_rng(0).random(x.shape).astype(np.float32)}


def test_the_frame_guard_flags_whole_frame_faults_that_per_image_normalisation_hides(trained, dataset, fresh_good):
    det = make_detector(trained.model, ScoringConfig(top_k=4))  # per-image normalisation on, as `run`'s default
    cal = calibrate(det, dataset.val, fresh_good[:60], target_false_alarm_rate=0.1, min_region_area=4)
    guard = cal.card_thresholds()["frame_guard"]
    assert guard["margin"] == GUARD_MARGIN and guard["level"]["band"] > 0 and guard["spread"]["band"] > 0
    assert "frame guard: level" in cal.summary()
    faults = _whole_frame_faults(fresh_good[60:])
    guarded = predict(det, np.stack(list(faults.values()))).scores
    good_guarded = predict(det, fresh_good[60:]).scores
    for b in (det.head.level_band, det.head.spread_band):
        b.fill_(GUARD_OFF)
    unguarded = predict(det, np.stack(list(faults.values()))).scores
    assert (unguarded < 1.0).all(), dict(zip(faults, unguarded))  # the normalisation divides them out
    assert (guarded >= 1.0).all(), dict(zip(faults, guarded))
    # and the guard adds no false alarm on good images the calibration never saw
    np.testing.assert_array_equal(good_guarded >= 1.0, predict(det, fresh_good[60:]).scores >= 1.0)


def test_a_detector_calibrated_before_the_frame_guard_loads_with_it_off(detector, tmp_path, dataset):
    from defect_cae.pipeline import load_detector, save_detector
    det, cal = detector
    save_detector(tmp_path / "new.pt", det, cal, {})
    ckpt = torch.load(tmp_path / "new.pt", **LOAD_KWARGS)
    ckpt["state_dict"] = {k: v for k, v in ckpt["state_dict"].items()
                          if k.removeprefix("head.") not in GUARD_DEFAULTS}
    torch.save(ckpt, tmp_path / "old.pt")
    old, _ = load_detector(tmp_path / "old.pt")
    assert float(old.head.level_band) == float(old.head.spread_band) == pytest.approx(GUARD_OFF)
    raw = run_stages(old, dataset.calib, keys=("raw_score",))["raw_score"] / float(old.head.image_threshold)
    np.testing.assert_allclose(predict(old, dataset.calib).scores, raw, rtol=1e-6)
    ckpt["state_dict"]["head.unknown"] = torch.tensor(1.0)
    torch.save(ckpt, tmp_path / "odd.pt")
    with pytest.raises(RuntimeError, match="head.unknown"):
        load_detector(tmp_path / "odd.pt")


def test_input_statistics_of_hand_made_frames():
    flat = np.full((2, 3, 4, 4), 0.25, dtype=np.float32)
    level, spread = input_statistics(flat)
    np.testing.assert_allclose(level, 0.25)
    np.testing.assert_allclose(spread, np.log(1e-6))  # a flat frame: no spread at all
    half = np.zeros((1, 1, 2, 2), dtype=np.float32)
    half[0, 0, 0] = 1.0  # two pixels of 1, two of 0: mean 0.5, population std 0.5 (not the sample std)
    level, spread = input_statistics(half)
    assert level[0] == 0.5 and spread[0] == pytest.approx(np.log(0.5 + 1e-6), abs=1e-12)
    # all channels count; chunking does not change the values
    rng = np.random.default_rng(0)
    x = rng.random((7, 3, 5, 6), dtype=np.float32)
    for got, want in zip(input_statistics(x, chunk=2), input_statistics(x, chunk=64)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(input_statistics(x)[0], x.astype(np.float64).reshape(7, -1).mean(axis=1))


def test_the_input_range_holds_good_images_and_not_faults_of_the_camera(fresh_good):
    r = fit_input_range([fresh_good[:50], fresh_good[50:100]], 0.05)  # parts of a dataset, not copied into one
    assert r["images"] == 100 and r["margin"] == INPUT_RANGE_MARGIN
    assert r["definition"] == ("level = mean of the preprocessed input (all channels and pixels, values in [0, 1]); "
                               "spread = ln(population standard deviation of the same values + 1e-6); a frame is "
                               "out of range when |level - level.centre| > level.band or |spread - spread.centre| > "
                               "spread.band")
    level, spread = input_statistics(fresh_good[:100])
    assert r["level"]["centre"] == pytest.approx(float(np.median(level)))
    assert r["spread"]["centre"] == pytest.approx(float(np.median(spread)))
    for name, v in (("level", level), ("spread", spread)):
        t, _ = tail_threshold(np.abs(v - np.median(v)), 0.05)
        assert r[name]["band"] == pytest.approx(INPUT_RANGE_MARGIN * t) and r[name]["band"] > 0
        assert r[name]["rule_details"]["n"] == 100
    # the images that set it and good images it never saw are in range
    assert not out_of_input_range(fresh_good, r).any()
    x = fresh_good[:1]
    faults = {"black": np.zeros_like(x), "white": np.ones_like(x), "flat grey": np.full_like(x, 0.5),
              "flat at the good level": np.full_like(x, r["level"]["centre"]), "half as bright": x * 0.5,
              "not a number (as in the job)": np.full_like(x, np.nan)}
    flagged = {k: bool(out_of_input_range(v, r)[0]) for k, v in faults.items()}
    assert all(flagged.values()), flagged
    assert not out_of_input_range(x, None).any()  # no range in the card: no check


def test_calibrate_fits_the_input_range_on_every_good_image_given(trained, dataset):
    det = make_detector(trained.model, ScoringConfig(top_k=4, per_image_norm=False))
    parts = (dataset.train, dataset.val, dataset.calib)
    cal = calibrate(det, dataset.val, dataset.calib, 0.05, 4, good_images=parts)
    assert cal.input_range == fit_input_range(np.concatenate(parts), 0.05)
    assert cal.input_range["images"] == 48  # the fixture's train/good, all of it
    assert cal.card_thresholds()["input_range"] == cal.input_range
    assert "input range from 48 good images" in cal.summary()
    assert "input_range" not in calibrate(det, dataset.val, dataset.calib, 0.05, 4).card_thresholds()


def test_a_detector_calibrated_before_the_input_range_loads_and_exports_without_it(detector, tmp_path):
    from defect_cae.pipeline import load_detector, save_detector
    det, cal = detector
    assert cal.input_range  # the fixture's detector, calibrated by the pipeline, has one
    save_detector(tmp_path / "new.pt", det, cal, {})
    ckpt = torch.load(tmp_path / "new.pt", **LOAD_KWARGS)
    del ckpt["calibration"]["input_range"]
    torch.save(ckpt, tmp_path / "old.pt")
    _, loaded = load_detector(tmp_path / "old.pt")
    old = Calibration(**loaded["calibration"])
    assert old.input_range is None and "input_range" not in old.card_thresholds()
    assert "input range" not in old.summary()


def test_an_input_out_of_range_alerts_whatever_its_score():
    from defect_cae.data import TestSet
    from defect_cae.evaluate import Predictions, compute_metrics
    n = 4
    test = TestSet(images=np.zeros((n, 1, 8, 8), np.float32), masks=np.zeros((n, 8, 8), bool),
                   has_mask=np.zeros(n, bool), labels=np.array([0, 0, 1, 1]), types=["good", "good", "x", "x"])
    scores = np.array([0.2, 0.3, 0.5, 2.0], np.float32)
    plain = compute_metrics(test, Predictions(np.zeros((n, 8, 8)), scores, np.zeros(0)))
    assert plain["overall"]["image_at_threshold"]["fp"] == 0 and "input_out_of_range" not in plain["overall"]
    ranged = compute_metrics(test, Predictions(np.zeros((n, 8, 8)), scores, np.zeros(0),
                                               out_of_range=np.array([True, False, True, False])))
    o = ranged["overall"]
    assert o["image_at_threshold"]["fp"] == 1 and o["image_at_threshold"]["tp"] == 2
    assert o["input_out_of_range"] == 2 and o["input_out_of_range_good"] == 1
    assert ranged["per_type"]["x"]["detected_at_threshold"] == 1.0 and ranged["good_false_alarm_rate"] == 0.5
    assert ranged["overall"]["image_auroc"] == plain["overall"]["image_auroc"]  # the score's own ranking


def test_constant_pixels_are_those_masked_out_not_those_with_faint_noise():
    from defect_cae.calibrate import constant_pixels
    rng = np.random.default_rng(0)
    maps = rng.uniform(0.1, 0.9, (20, 1, 8, 10)).astype(np.float32)
    maps[:, :, :, :4] = 0.25  # masked out in every image
    maps[:, :, :, 4:6] = 0.5 + rng.normal(0, 1e-4, (20, 1, 8, 2))  # a flat background with faint sensor noise
    maps[:, 0, 0, 0] += rng.normal(0, 1e-9, 20).astype(np.float32)  # float rounding
    constant = constant_pixels(maps, chunk=7)
    assert constant.shape == (8, 10)
    assert constant[:, :4].all() and not constant[:, 4:].any()
    # RGB: a pixel is constant only when every channel is
    rgb = np.repeat(maps, 3, axis=1)
    rgb[:, 2, :, 0] = rng.uniform(0, 1, (20, 8))
    assert constant_pixels(rgb)[:, 1:4].all() and not constant_pixels(rgb)[:, 0].any()


def test_the_std_floor_leaves_out_pixels_that_never_vary():
    from defect_cae.calibrate import STD_FLOOR_FRACTION, std_floor
    rng = np.random.default_rng(0)
    std = torch.from_numpy(rng.uniform(0.02, 0.04, (1, 1, 20, 20)))
    # every pixel varies: the floor is the fraction of the median, as it always was
    assert std_floor(std, np.zeros((20, 20), bool)) == pytest.approx(float(std.median()) * STD_FLOOR_FRACTION)
    assert std_floor(std) == pytest.approx(float(std.median()) * STD_FLOOR_FRACTION)
    # 60 % of the frame masked out in every good image: their std is float rounding, and stays out of the median
    constant = np.zeros((20, 20), bool)
    constant[:, :12] = True
    masked = std.clone()
    masked[..., :12] = 1e-8
    assert std_floor(masked, constant) == pytest.approx(float(std[..., 12:].median()) * STD_FLOOR_FRACTION)
    assert std_floor(masked, np.ones((20, 20), bool)) == 1e-6  # nothing varies: MIN_STD


def test_per_image_normalisation_of_frames_that_never_vary_is_refused_with_the_fix(trained):
    from defect_cae.calibrate import fit_normalisation
    from defect_cae.errors import DatasetError
    # good images that never vary (the extreme of a region masked out in every image): every z is 0
    x = np.repeat(np.random.default_rng(0).uniform(0.2, 0.8, (1, 1, 64, 64)).astype(np.float32), 8, axis=0)
    with pytest.raises(DatasetError, match="100% of the error map does not vary.*--no-per-image-norm"):
        fit_normalisation(make_detector(trained.model, ScoringConfig(top_k=4)), x)
    det = make_detector(trained.model, ScoringConfig(top_k=4, per_image_norm=False))
    fit_normalisation(det, x)
    assert float(det.head.pixel_std.min()) == pytest.approx(1e-6)  # no pixel varies: any change is a defect

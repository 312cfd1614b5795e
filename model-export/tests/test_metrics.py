import numpy as np
import pytest

from defect_cae.metrics import aupro, auroc, label_components, precision_recall_f1, pro_curve, roc_curve


def test_auroc_hand_checked_cases():
    assert auroc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert auroc([0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1]) == 0.0
    # pairs (pos, neg): (0.35,0.1) win, (0.35,0.4) lose, (0.8,*) win twice -> 3/4
    assert auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # a tie counts one half: pairs (0.5 vs 0.5) = 0.5, (0.5 vs 0.2) = 1 -> 1.5/2
    assert auroc([1, 0, 0], [0.5, 0.5, 0.2]) == 0.75
    assert np.isnan(auroc([1, 1], [0.1, 0.2]))


def test_auroc_matches_the_area_under_roc_curve():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = rng.normal(size=500) + y + np.round(rng.normal(size=500), 1)
    fpr, tpr, _ = roc_curve(y, s)
    trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy 2 renamed it and deprecates the old name
    assert auroc(y, s) == pytest.approx(trapezoid(tpr, fpr), abs=1e-12)


def test_roc_curve_points():
    fpr, tpr, thr = roc_curve([0, 1, 0, 1], [0.1, 0.9, 0.5, 0.5])
    assert fpr.tolist() == [0.0, 0.0, 0.5, 1.0]
    assert tpr.tolist() == [0.0, 0.5, 1.0, 1.0]


def test_connected_components_use_8_connectivity():
    m = np.array([[1, 0, 0, 1],
                  [0, 1, 0, 1],
                  [0, 0, 0, 0],
                  [1, 1, 0, 0]], bool)
    labels, n = label_components(m)
    assert n == 3
    assert labels[0, 0] == labels[1, 1] != labels[0, 3]


def test_pro_curve_averages_overlap_per_region_not_per_pixel():
    masks = np.zeros((1, 4, 8), bool)
    masks[0, 0, 0] = True  # region A: 1 pixel
    masks[0, 2:4, 4:8] = True  # region B: 8 pixels
    maps = np.zeros((1, 4, 8))
    maps[0, 0, 0] = 5.0  # A fully found at t <= 5
    maps[0, 2, 4:8] = 3.0  # half of B found at t <= 3
    maps[0, 0, 7] = 4.0  # one false positive at t <= 4 among 23 negatives
    fpr, pro = pro_curve(masks, maps)
    # thresholds 5, 4, 3, 0 -> PRO 0.5, 0.5, 0.75, 1.0; FPR 0, 1/23, 1/23, 1
    np.testing.assert_allclose(pro, [0, 0.5, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(fpr, [0, 0, 1 / 23, 1 / 23, 1.0])


def test_aupro_is_one_for_a_perfect_map_and_normalised_by_the_limit():
    masks = np.zeros((2, 8, 8), bool)
    masks[0, 2:4, 2:4] = True
    assert aupro(masks, masks.astype(float)) == pytest.approx(1.0)
    # a map that finds nothing until every pixel is flagged scores 0 up to 30% FPR
    assert aupro(masks, (~masks).astype(float)) == pytest.approx(0.0)


def test_precision_recall_f1_hand_checked():
    r = precision_recall_f1([1, 1, 1, 0, 0], [1, 1, 0, 1, 0])
    assert (r["tp"], r["fp"], r["fn"], r["tn"]) == (2, 1, 1, 1)
    assert r["precision"] == pytest.approx(2 / 3) and r["recall"] == pytest.approx(2 / 3)
    assert r["f1"] == pytest.approx(2 / 3) and r["false_alarm_rate"] == 0.5
    missed = precision_recall_f1([1, 1, 0], [0, 0, 1])
    assert missed["recall"] == 0.0 and missed["f1"] == 0.0
    good_only = precision_recall_f1([0, 0, 0], [0, 1, 0])  # a test set of good images only
    assert np.isnan(good_only["recall"]) and np.isnan(good_only["f1"]) and good_only["false_alarm_rate"] == 1 / 3


def test_aupro_is_undefined_without_a_defect_free_pixel():
    masks = np.ones((1, 4, 4), bool)  # no false-positive rate can be measured
    assert np.isnan(aupro(masks, np.random.default_rng(0).random((1, 4, 4))))


def test_metrics_and_report_say_how_many_defective_images_the_pixel_figures_count():
    from defect_cae.data import TestSet
    from defect_cae.evaluate import Predictions, compute_metrics
    from defect_cae.report import metrics_table
    rng = np.random.default_rng(1)
    masks = np.zeros((4, 8, 8), bool)
    masks[1, 2:4, 2:4] = masks[2, 5:7, 1:3] = True  # image 3 is defective but has no mask
    test = TestSet(images=np.zeros((4, 1, 8, 8), np.float32), masks=masks,
                   has_mask=np.array([True, True, True, False]), labels=np.array([0, 1, 1, 1]),
                   types=["good", "crack", "crack", "hole"])
    pred = Predictions(error_maps=rng.random((4, 8, 8)) + 2 * masks, scores=np.array([0.5, 2.0, 3.0, 1.5]),
                       reconstructions=np.zeros((4, 1, 8, 8)))
    m = compute_metrics(test, pred)
    assert m["overall"]["defective_images"] == 3 and m["overall"]["defective_images_with_mask"] == 2
    assert m["per_type"]["crack"]["defective_images_with_mask"] == 2
    assert "pixel_auroc" not in m["per_type"]["hole"]  # no mask at all: no pixel figures rather than wrong ones
    table = metrics_table(m)
    assert "count 2 of the 3 defective images" in table and "input resolution" in table
    test.has_mask[:] = True
    test.masks[3, 0, 0] = True
    assert "count" not in metrics_table(compute_metrics(test, pred))


def test_an_unfit_model_is_named_from_its_synthetic_validation():
    from defect_cae.pipeline import unfit_warning
    assert "0.397, where 0.5 is chance" in unfit_warning({"overall": {"image_auroc": 0.397}})
    assert unfit_warning({"overall": {"image_auroc": 0.984}}) is None
    assert unfit_warning({"overall": {"image_auroc": float("nan")}}) is None
    # The advice follows how the training ended, and where the reconstructions can be seen
    unfit = {"overall": {"image_auroc": 0.4}}
    assert "--resume with a larger --max-minutes" in unfit_warning(unfit, "time limit 7.0 min")
    assert "more epochs (--epochs)" in unfit_warning(unfit, "max epochs")
    assert "--epochs" not in unfit_warning(unfit, "early stop: no improvement for 8 epochs")
    assert "Look at report/examples.png" in unfit_warning(unfit)
    assert "evaluate --report" in unfit_warning(unfit, report=False)


def test_a_test_set_ranked_below_chance_is_said_to_be():
    from defect_cae.pipeline import summarise_test_set
    at = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "fp": 3, "tn": 47}
    lines = summarise_test_set({"image_auroc": 0.437, "pixel_auroc": 0.6, "aupro": 0.27,
                                "image_at_threshold": at})
    assert lines[0].startswith("test: image AUROC 0.4370") and lines[0].endswith("false alarms 3 of 50 good images")
    assert len(lines) == 2 and lines[1].startswith("WARNING: the test image AUROC 0.437 is below chance")
    assert len(summarise_test_set({"image_auroc": 0.93, "image_at_threshold": at})) == 1


def test_the_per_type_line_says_when_the_input_range_detected_some_of_the_images():
    from defect_cae.evaluate import per_type_line
    m = {"image_auroc": 0.45, "pixel_auroc": 0.5, "aupro": 0.1, "detected_at_threshold": 1.0}
    assert per_type_line("grey", m).endswith("detected 1.000")
    line = per_type_line("grey", {**m, "input_out_of_range": 20})
    assert line.endswith("detected 1.000 (20 of them out of input range)") and line.startswith("            grey:")


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_scores_are_refused_rather_than_ranked_by_input_order(bad):
    # two infinite scores are a tie; sorting cannot say so, and the area would depend on the input's order
    for f in (auroc, roc_curve):
        with pytest.raises(ValueError, match="NaN or infinite"):
            f([0, 1, 0], [bad, bad, 0.0])
    masks = np.zeros((1, 4, 4), dtype=bool)
    masks[0, 1, 1] = True
    maps = np.zeros((1, 4, 4))
    maps[0, 2, 2] = bad
    with pytest.raises(ValueError, match="1 of 16 error-map values"):
        pro_curve(masks, maps)

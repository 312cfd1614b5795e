import pytest
import torch
import torch.nn.functional as F

from defect_cae.model import CAE, CAEConfig, ReflectPad, ScoringConfig, build_detector, lower_median


@pytest.mark.parametrize("size,channels", [(128, 1), (256, 3), (64, 1)])
def test_cae_reconstructs_the_input_shape_in_unit_range(size, channels):
    cae = CAE(CAEConfig(channels=channels, height=size, width=size)).eval()
    x = torch.rand(2, channels, size, size)
    y = cae(x)
    assert y.shape == x.shape
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0


def test_bottleneck_capacity_is_a_parameter():
    small = CAEConfig(latent_channels=2)
    big = CAEConfig(latent_channels=32)
    assert (small.latent_size, big.latent_size) == (2 * 8 * 8, 32 * 8 * 8)
    z = CAE(big).bottleneck[0](CAE(big).encoder(torch.rand(1, 1, 128, 128)))
    assert z.shape == (1, 32, 8, 8)


def test_sizes_that_do_not_divide_by_the_stage_factor_are_refused():
    with pytest.raises(ValueError):
        CAEConfig(height=100, width=100)


def test_reflect_pad_mirrors_without_repeating_the_edge_on_any_size():
    row = torch.arange(5.0).view(1, 1, 1, 5).repeat(2, 3, 4, 1)
    out = ReflectPad(2)(row)
    assert out.shape == (2, 3, 8, 9)
    assert out[0, 0, 0].tolist() == [2, 1, 0, 1, 2, 3, 4, 3, 2]
    with pytest.raises(ValueError, match="longer than 3"):
        ReflectPad(3)(torch.rand(1, 1, 3, 8))


def test_cae_is_fully_convolutional_so_a_model_trained_on_crops_runs_on_whole_frames():
    cae = CAE(CAEConfig(height=64, width=64, widths=(4, 4, 8, 8), latent_channels=2)).eval()
    with torch.no_grad():
        whole = cae(torch.rand(2, 1, 64, 64))
        crop = cae(torch.rand(3, 1, 32, 48))
    assert whole.shape == (2, 1, 64, 64) and crop.shape == (3, 1, 32, 48)


def test_lower_median_via_topk():
    x = torch.tensor([[5.0, 1.0, 4.0, 2.0], [3.0, 3.0, 9.0, 0.0]])
    assert lower_median(x).flatten().tolist() == [2.0, 3.0]


def test_detector_results_do_not_depend_on_the_batch():
    det = build_detector(CAEConfig(height=64, width=64), ScoringConfig(top_k=4)).eval()
    x = torch.rand(7, 1, 64, 64)
    with torch.no_grad():
        e7, s7, r7 = det(x)
        e1, s1, r1 = det(x[3:4])
    assert e7.shape == (7, 1, 64, 64) and s7.shape == (7,) and r7.shape == (7, 1, 64, 64)
    # Equal up to float32 summation order (PyTorch picks conv algorithms by batch size); see GOLDEN_TOLERANCES.
    torch.testing.assert_close(s7[3:4], s1, rtol=1e-3, atol=1e-3)
    torch.testing.assert_close(e7[3:4], e1, rtol=1e-3, atol=2e-3)


def test_score_is_the_mean_of_the_top_k_normalised_values():
    det = build_detector(CAEConfig(height=64, width=64),
                         ScoringConfig(top_k=3, per_pixel_norm=False, per_image_norm=False)).eval()
    x = torch.rand(2, 1, 64, 64)
    with torch.no_grad():
        st = det.head.stages(x, det.cae(x))
        _, score, _ = det(x)
    expect = torch.topk(st["smooth"].flatten(1), 3, dim=1)[0].mean(dim=1)
    torch.testing.assert_close(score, expect)


@pytest.mark.parametrize("skips", [1, 2, 4])
def test_skip_connections_feed_encoder_features_to_the_decoder_stage_of_the_same_resolution(skips):
    cfg = CAEConfig(height=64, width=64, widths=(4, 8, 8, 8), latent_channels=2, skips=skips)
    cae = CAE(cfg).eval()
    x = torch.rand(2, 1, 64, 64)
    assert cae(x).shape == x.shape
    # Finest stage first: the input itself (1 channel), then the outputs of encoder stages 0, 1, 2.
    expected_extra = [1, 4, 8, 8][:skips] + [0] * (4 - skips)
    convs = [next(m for m in stage if isinstance(m, torch.nn.Conv2d)) for stage in cae.stages]
    assert [c.in_channels for c in convs[::-1]] == [w + e for w, e in zip([4, 8, 8, 8], expected_extra)]


def test_skip_connections_let_a_one_pixel_change_reach_the_output_unblurred():
    # Through an 8x8 bottleneck alone a pixel's influence spreads over many outputs; the full-resolution skip
    # gives the output at that pixel a direct path, which is why a U-Net can copy what it should remove.
    torch.manual_seed(0)
    plain = CAE(CAEConfig(height=64, width=64, skips=0)).eval()
    skip = CAE(CAEConfig(height=64, width=64, skips=1)).eval()
    for cae in (plain, skip):
        x = torch.rand(1, 1, 64, 64, requires_grad=True)
        cae(x)[0, 0, 32, 32].backward()
        g = x.grad[0, 0].abs()
        share = float(g[31:34, 31:34].sum() / g.sum())
        if cae is plain:
            plain_share = share
    assert share > plain_share


def test_more_skips_than_stages_are_refused():
    with pytest.raises(ValueError, match="skips"):
        CAEConfig(skips=5)
    with pytest.raises(ValueError, match="skips"):
        CAEConfig(skips=-1)


def _allow_tf32(allow: bool) -> list:
    """Sets TF32 on or off through this PyTorch's own API; returns the previous values."""
    from defect_cae.model import precision_settings
    before = []
    for owner, name, full, tf32 in precision_settings():
        before.append(getattr(owner, name))
        setattr(owner, name, tf32 if allow else full)
    return before


def _restore(before: list) -> None:
    from defect_cae.model import precision_settings
    for (owner, name, _, _), value in zip(precision_settings(), before):
        setattr(owner, name, value)


def test_exact_float32_turns_tf32_off_inside_and_restores_the_setting():
    from defect_cae.model import exact_float32, tf32_allowed
    before = _allow_tf32(True)
    try:
        assert tf32_allowed()
        with exact_float32():
            assert not tf32_allowed()
        assert tf32_allowed()
    finally:
        _restore(before)


def test_exact_float32_uses_the_fp32_precision_api_where_pytorch_has_it(monkeypatch):
    """PyTorch >= 2.9: torch.backends.cudnn.conv / cuda.matmul.fp32_precision, and the old flags left alone."""
    from types import SimpleNamespace
    from defect_cae.model import exact_float32
    conv, matmul = SimpleNamespace(fp32_precision="tf32"), SimpleNamespace(fp32_precision="tf32")
    monkeypatch.setattr(torch.backends.cudnn, "conv", conv, raising=False)
    monkeypatch.setattr(torch.backends.cuda, "matmul", matmul)
    with exact_float32():
        assert conv.fp32_precision == matmul.fp32_precision == "ieee"
        assert not hasattr(matmul, "allow_tf32")
    assert conv.fp32_precision == matmul.fp32_precision == "tf32"


def test_calibration_and_evaluation_passes_run_without_tf32():
    import numpy as np
    from defect_cae.calibrate import run_stages
    from defect_cae.evaluate import predict
    from defect_cae.model import tf32_allowed
    det = build_detector(CAEConfig(height=64, width=64, widths=(8, 8, 8, 8), latent_channels=2)).eval()
    seen, forward = [], det.cae.forward
    det.cae.forward = lambda x: (seen.append(tf32_allowed()), forward(x))[1]
    before = _allow_tf32(True)  # PyTorch's default for convolutions
    try:
        images = np.random.default_rng(0).random((2, 1, 64, 64), dtype=np.float32)
        run_stages(det, images)
        predict(det, images)
    finally:
        _restore(before)
    assert seen == [False, False]

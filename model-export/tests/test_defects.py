import numpy as np
import pytest

from defect_cae.defects import KINDS, DefectInjector, DefectSettings


@pytest.mark.parametrize("kind", KINDS)
def test_each_defect_kind_changes_pixels_inside_its_mask(kind):
    rng = np.random.default_rng(0)
    img = (0.5 + 0.05 * rng.standard_normal((1, 96, 96))).clip(0, 1).astype(np.float32)
    donor = (0.5 + 0.05 * rng.standard_normal((1, 96, 96))).clip(0, 1).astype(np.float32)
    inj = DefectInjector(DefectSettings.training(), seed=3)
    out, mask = inj(img, kind=kind, donor=donor)
    assert out.shape == img.shape and out.dtype == np.float32
    assert mask.any(), kind
    change = np.abs(out - img)[0]
    assert change[mask].mean() > 3 * change[~mask].mean() + 1e-6


def test_rgb_images_get_defects_too():
    img = np.full((3, 64, 64), 0.5, np.float32)
    out, mask = DefectInjector(seed=1)(img, kind="blob")
    assert out.shape == (3, 64, 64) and mask.any()


def test_injector_is_deterministic_for_a_seed():
    img = np.full((1, 64, 64), 0.5, np.float32)
    a = DefectInjector(seed=5)(img)
    b = DefectInjector(seed=5)(img)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_validation_never_uses_the_training_settings():
    assert DefectSettings.validation().to_dict() != DefectSettings.training().to_dict()
    v, t = DefectSettings.validation(), DefectSettings.training()
    assert (v.size, v.contrast, v.patch_shape) != (t.size, t.contrast, t.patch_shape)

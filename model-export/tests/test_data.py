import numpy as np
import pytest

from defect_cae.data import AugmentConfig, DenoisingDataset, random_crop


def test_random_crop_returns_windows_of_the_image():
    img = np.arange(2 * 8 * 10, dtype=np.float32).reshape(2, 8, 10)
    rng = np.random.default_rng(0)
    corners = set()
    for _ in range(50):
        c = random_crop(img, 4, rng)
        y, x = divmod(int(c[0, 0, 0]), 10)
        np.testing.assert_array_equal(c, img[:, y:y + 4, x:x + 4])
        corners.add((y, x))
    assert len(corners) > 10  # not always the same window
    assert random_crop(img, 0, rng) is img
    with pytest.raises(ValueError, match="larger"):
        random_crop(img, 9, rng)


def test_denoising_dataset_yields_crops_with_a_clean_target_of_the_same_window():
    images = np.random.default_rng(1).random((4, 1, 64, 64)).astype(np.float32)
    ds = DenoisingDataset(images, AugmentConfig(crop=32, max_shift=0, brightness=0, contrast=0, denoise_prob=1.0))
    noisy, clean = ds[0]
    assert noisy.shape == clean.shape == (1, 32, 32)
    assert not np.array_equal(noisy.numpy(), clean.numpy())  # defects injected into the input only

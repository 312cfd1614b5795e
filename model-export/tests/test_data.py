from pathlib import Path

import numpy as np
import pytest

from PIL import Image

from defect_cae.data import AugmentConfig, DenoisingDataset, check_aspect, random_crop, shallow_depth_warning
from defect_cae.errors import DatasetError


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


def _small_category(root, n=12):
    from PIL import Image
    (root / "train" / "good").mkdir(parents=True)
    for i in range(n):
        Image.fromarray(np.full((16, 16), 100 + i, np.uint8)).save(root / "train" / "good" / f"{i:03d}.png")
    return root


def test_a_dataset_folder_of_categories_is_refused_with_the_category_to_pass(tmp_path):
    from defect_cae.data import DatasetError, split_good
    _small_category(tmp_path / "mvtec" / "screw")
    _small_category(tmp_path / "mvtec" / "bottle")
    with pytest.raises(DatasetError) as e:
        split_good(tmp_path / "mvtec")
    assert "(bottle, screw)" in str(e.value) and f"--data {tmp_path / 'mvtec' / 'bottle'}" in str(e.value)


def test_a_folder_without_train_good_names_the_expected_layout(tmp_path):
    from defect_cae.data import DatasetError, guess_channels, split_good
    (tmp_path / "images").mkdir()
    for call in (lambda: split_good(tmp_path / "images"), lambda: guess_channels(tmp_path / "missing")):
        with pytest.raises(DatasetError, match=r"train/good"):
            call()


def test_too_few_good_images_says_how_many_are_needed(tmp_path):
    from defect_cae.data import DatasetError, split_good
    with pytest.raises(DatasetError, match=r"has 5 images .* need at least 12"):
        split_good(_small_category(tmp_path / "c", n=5))


def test_an_unreadable_image_or_mask_is_named(tmp_path):
    from defect_cae.data import DatasetError, guess_channels, load_test_set
    root = _small_category(tmp_path / "c")
    (root / "train" / "good" / "005.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(DatasetError, match=r"005\.png cannot be read as an image"):
        guess_channels(root)
    (root / "test" / "good").mkdir(parents=True)
    (root / "test" / "good" / "000.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DatasetError, match=r"000\.jpg cannot be read as an image"):
        load_test_set(root, 1, 16, 16)


def _good_images_of(root, width, height, n=3):
    (root / "train" / "good").mkdir(parents=True)
    for i in range(n):
        Image.new("L", (width, height), 128).save(root / "train" / "good" / f"{i}.png")
    return root


def test_check_aspect_accepts_what_the_job_accepts_and_names_the_size_that_keeps_the_shape(tmp_path):
    # The job's default frame-aspect-tolerance is 0.25: 80x64 frames suit a square model, 96x64 do not.
    check_aspect(_good_images_of(tmp_path / "a", 80, 64), 64, 64)
    check_aspect(_good_images_of(tmp_path / "b", 1500, 1000), 128, 192)  # --size 192x128
    with pytest.raises(DatasetError, match=r"96x64 defect-free images .*--size 96x64 to keep their shape.*--squash.*"
                                           r"frame-aspect-tolerance 0.50 or more"):
        check_aspect(_good_images_of(tmp_path / "c", 96, 64), 64, 64)
    with pytest.raises(DatasetError, match=r"--size 128x192 "):  # portrait frames, square 128 model
        check_aspect(_good_images_of(tmp_path / "d", 1000, 1500), 128, 128)
    with pytest.raises(DatasetError, match=r"--size 176x128 to keep their shape \(192x144 has their ratio exactly\)"):
        check_aspect(_good_images_of(tmp_path / "e", 1024, 768), 128, 128)  # 4:3 frames
    with pytest.raises(DatasetError, match=r"--size 2048x128 to keep their shape, or"):
        check_aspect(_good_images_of(tmp_path / "f", 4096, 256, n=2), 128, 128)  # a line-scan camera, 16:1
    # 500:1 keeps its shape only in an input wider than --size allows (4096): no size to suggest, but tiles
    with pytest.raises(DatasetError, match=r"no model input of at most 4096 pixels a side .*tiles.*--squash"):
        check_aspect(_good_images_of(tmp_path / "g", 5000, 10, n=1), 64, 64)
    with pytest.raises(DatasetError, match=r"--size 4096x128 to keep their shape, or"):  # 32:1 still fits
        check_aspect(_good_images_of(tmp_path / "h", 4096, 128, n=1), 128, 128)
    check_aspect(tmp_path / "no-such-category", 64, 64)  # nothing to check: the layout check speaks later


def test_check_aspect_names_one_size_for_mixed_shapes_or_says_that_none_suits_them(tmp_path):
    root = _good_images_of(tmp_path / "mixed", 64, 64, n=2)
    for i in range(3):
        Image.new("L", (100, 64), 128).save(root / "train" / "good" / f"wide{i}.png")
    # Ratios 1 and 1.56: 80x64 (1.25) is within the 0.25 tolerance of both, though neither is of the other.
    for size in ((64, 64), (64, 128)):
        with pytest.raises(DatasetError, match=r"--size 80x64 to suit all of them"):
            check_aspect(root, *size)
    check_aspect(root, 64, 80)  # 80x64: nothing to say
    narrow = _good_images_of(tmp_path / "narrow", 110, 100, n=2)
    Image.new("L", (170, 100), 128).save(narrow / "train" / "good" / "wide.png")
    # Ratios 1.1 and 1.7 leave only 1.36-1.375 for both: no 64-pixel model (80x64 is 1.25, 96x64 is 1.5) fits.
    with pytest.raises(DatasetError, match=r"--size 176x128 to suit all of them"):
        check_aspect(narrow, 64, 64)
    Image.new("L", (110, 64), 128).save(root / "train" / "good" / "wider.png")  # 1.72 > 1.25 ** 2
    for size in ((64, 64), (64, 80)):  # whichever --size, the message is the same: no size suits both
        with pytest.raises(DatasetError, match=r"shapes too different for one model \(2 of 64x64 such as 0.png, 1 of "
                                               r"110x64 such as wider.png, among 3 sizes\).*one model per camera "
                                               r"shape.*--squash"):
            check_aspect(root, *size)


def _by_name(test, rename=lambda p: p.name):
    """{original file name: (image, mask, has_mask, label)} of a loaded test set."""
    from pathlib import Path
    return {rename(Path(p)): (test.images[i], test.masks[i], test.has_mask[i], test.labels[i])
            for i, p in enumerate(test.paths)}


def _assert_same_test_sets(a, b):
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name][0], b[name][0], err_msg=name)
        np.testing.assert_array_equal(a[name][1], b[name][1], err_msg=name)
        assert a[name][2:] == b[name][2:], name


def test_an_mvtec_ad2_category_reads_test_public_with_its_masks_and_pools_validation_good(mvtec_root, tmp_path):
    from synthetic_mvtec import as_mvtec_ad2
    from defect_cae.data import content_hash, good_images, load_test_set, split_good
    ad2 = as_mvtec_ad2(mvtec_root, tmp_path / "ad2", validation=8)
    ad, new = load_test_set(mvtec_root, 1, 32, 32), load_test_set(ad2, 1, 32, 32)
    assert sorted(set(new.types)) == ["bad", "good"]  # ground_truth/ inside test_public is not a defect type
    assert new.labels.sum() == ad.labels.sum() > 0 and new.has_mask.all() and new.masks[new.labels == 1].any()
    assert not any("test_private" in p for p in new.paths)
    _assert_same_test_sets(_by_name(ad, lambda p: p.name if p.parent.name == "good" else f"{p.parent.name}_{p.name}"),
                           _by_name(new))
    split = split_good(ad2, seed=0)
    everything = split.train + split.val + split.calib
    assert len(everything) == len(good_images(mvtec_root)) == 48
    assert sum("validation" in str(p) for p in everything) == 8
    assert content_hash(good_images(ad2), ad2) != content_hash(good_images(mvtec_root), mvtec_root)  # paths count


def test_an_mvtec_loco_category_unites_the_mask_files_of_each_image(mvtec_root, tmp_path):
    from synthetic_mvtec import as_mvtec_loco
    from defect_cae.data import load_test_set
    loco = as_mvtec_loco(mvtec_root, tmp_path / "loco")
    ad, new = load_test_set(mvtec_root, 1, 32, 32), load_test_set(loco, 1, 32, 32)
    key = lambda p: f"{p.parent.name}/{p.name}"  # noqa: E731
    _assert_same_test_sets(_by_name(ad, key), _by_name(new, key))
    assert new.has_mask.all() and new.masks[new.labels == 1].any()


def test_a_loco_mask_file_of_another_shape_is_named(mvtec_root, tmp_path):
    from synthetic_mvtec import as_mvtec_loco
    from defect_cae.data import load_test_set
    loco = as_mvtec_loco(mvtec_root, tmp_path / "loco")
    odd = loco / "ground_truth" / "spot" / "002" / "001.png"
    Image.new("L", (10, 12), 255).save(odd)
    with pytest.raises(DatasetError, match=r"002/001\.png is 10x12 but its image is 64x64: a mask must have its "
                                           r"image's shape"):
        load_test_set(loco, 1, 32, 32)


def test_loco_mask_parts_of_other_sizes_are_scaled_to_the_image_and_united(tmp_path):
    from defect_cae.data import read_mask, scale_marked
    whole, half = np.zeros((64, 64), np.uint8), np.zeros((32, 32), np.uint8)
    whole[4:8, 40:60] = 255
    half[20, 3:9] = 255  # one row at half size: two image rows, 12 columns
    Image.fromarray(whole).save(tmp_path / "000.png")
    Image.fromarray(half).save(tmp_path / "001.png")
    expected = np.zeros((64, 64), bool)
    expected[4:8, 40:60] = True
    expected[40:42, 6:18] = True
    assert (scale_marked(half > 0, 64, 64) == expected & (np.arange(64)[:, None] >= 40)).all()
    from defect_cae.preprocess import preprocess_mask
    assert (read_mask([tmp_path / "000.png", tmp_path / "001.png"], 32, 32, (64, 64))
            == preprocess_mask(expected.astype(np.uint8) * 255, 32, 32)).all()
    thin = np.zeros((5, 7), bool)
    thin[2, 3] = True  # a reduction keeps a single pixel; source row 2 of 5 straddles both output rows
    assert scale_marked(thin, 2, 3).tolist() == [[False, True, False], [False, True, False]]
    assert scale_marked(thin, 5, 7).tolist() == thin.tolist()


def _copy_of(root, dest):
    import shutil
    return Path(shutil.copytree(root, dest))


def test_hidden_files_and_folders_are_not_dataset_images(mvtec_root, tmp_path):
    from defect_cae.data import good_images, load_test_set
    root = _copy_of(mvtec_root, tmp_path / "c")
    junk = b"\x00\x05\x16\x07 AppleDouble"  # macOS's ._* files: not images, whatever their name says
    (root / "train" / "good" / "._000.png").write_bytes(junk)
    (root / "test" / "spot" / "._001.png").write_bytes(junk)
    (root / "ground_truth" / "spot" / "._001_mask.png").write_bytes(junk)
    (root / "test" / ".ipynb_checkpoints").mkdir()
    Image.new("L", (64, 64), 0).save(root / "test" / ".ipynb_checkpoints" / "000.png")
    assert len(good_images(root)) == len(good_images(mvtec_root))
    test, plain = load_test_set(root, 1, 32, 32), load_test_set(mvtec_root, 1, 32, 32)
    assert sorted(set(test.types)) == ["good", "line", "spot"]
    _assert_same_test_sets(_by_name(test, lambda p: f"{p.parent.name}/{p.name}"),
                           _by_name(plain, lambda p: f"{p.parent.name}/{p.name}"))


def test_a_good_folder_in_another_letter_case_is_refused_not_read_as_a_defect_type(mvtec_root, tmp_path):
    from defect_cae.data import load_test_set
    root = _copy_of(mvtec_root, tmp_path / "c")
    (root / "test" / "good").rename(root / "test" / "Good")
    with pytest.raises(DatasetError, match=r"test/Good: name the defect-free test folder good, in lower case"):
        load_test_set(root, 1, 32, 32)


def test_mask_names_match_in_any_letter_case(mvtec_root, tmp_path):
    from defect_cae.data import load_test_set
    root = _copy_of(mvtec_root, tmp_path / "c")
    for m in (root / "ground_truth" / "spot").iterdir():
        m.rename(m.with_name(m.name.replace("_mask.png", "_Mask.PNG")))
    # A name that differs only in case: the first in sorted order counts (as in the Java replay), not the other.
    Image.new("L", (64, 64), 0).save(root / "ground_truth" / "spot" / "000_mask.png")
    test, plain = load_test_set(root, 1, 32, 32), load_test_set(mvtec_root, 1, 32, 32)
    assert test.has_mask.all()
    _assert_same_test_sets(_by_name(test, lambda p: f"{p.parent.name}/{p.name}"),
                           _by_name(plain, lambda p: f"{p.parent.name}/{p.name}"))


def test_a_mask_of_another_shape_than_its_image_is_refused_a_scaled_one_is_read(mvtec_root, tmp_path):
    from defect_cae.data import load_test_set
    root = _copy_of(mvtec_root, tmp_path / "c")
    mask = root / "ground_truth" / "line" / "001_mask.png"
    with Image.open(mask) as m:
        m.resize((128, 128), Image.NEAREST).save(mask)  # the image is 64x64: the same shape, twice the size
    scaled = load_test_set(root, 1, 32, 32)
    assert scaled.has_mask.all()
    with Image.open(mask) as m:
        m.resize((128, 96), Image.NEAREST).save(mask)
    with pytest.raises(DatasetError, match=r"line/001_mask\.png is 128x96 but its image is 64x64: a mask must "
                                           r"have its image's shape"):
        load_test_set(root, 1, 32, 32)


def test_what_leaves_metrics_undefined_or_partial_is_warned_about(mvtec_root, tmp_path):
    from defect_cae.data import load_test_set
    root = _copy_of(mvtec_root, tmp_path / "c")
    (root / "ground_truth" / "spot" / "000_mask.png").unlink()
    (root / "ground_truth" / "spot" / "001_mask.png").unlink()
    Image.new("L", (64, 64), 0).save(root / "ground_truth" / "line" / "002_mask.png")
    said = []
    load_test_set(root, 1, 32, 32, warn=said.append)
    assert len(said) == 2
    assert said[0].startswith(f"2 of 8 defective test images (e.g. {root / 'test' / 'spot' / '000.png'}) have no "
                              "mask in ") and "any letter case" in said[0]
    assert said[1].startswith(f"1 defective test images (e.g. {root / 'test' / 'line' / '002.png'}) have an empty mask")
    import shutil
    shutil.rmtree(root / "test" / "good")
    said.clear()
    load_test_set(root, 1, 32, 32, warn=said.append)
    assert said[0] == "no test/good images: image AUROC and the false-alarm rate are undefined"
    said.clear()
    load_test_set(mvtec_root, 1, 32, 32, warn=said.append)
    assert said == []
    jpeg = _copy_of(mvtec_root, tmp_path / "jpeg")
    for t in ("spot", "line"):
        for image in (jpeg / "test" / t).iterdir():
            image.rename(image.with_suffix(".jpg"))  # the bytes stay PNG: PIL reads by content
        for m in (jpeg / "ground_truth" / t).iterdir():
            m.rename(m.with_suffix(".jpg"))
    load_test_set(jpeg, 1, 32, 32, warn=said.append)
    assert said == ["8 masks are JPEG files: read as defect where at least mid-grey (128), since their compression "
                    "noise is not zero; save masks as PNG for exact ground truth"]
    said.clear()
    load_test_set(mvtec_root, 1, 32, 48, warn=said.append)  # a 48x32 model: 1.5 times wider than the images
    assert len(said) == 1 and said[0].startswith(f"14 test images (e.g. {mvtec_root / 'test' / 'good' / '000.png'}, "
                                                 "64x64) are far from the model's 48x32 shape")


def test_a_category_without_test_folders_names_both(tmp_path):
    from defect_cae.data import load_test_set
    with pytest.raises(DatasetError, match=r"no test/ \(or MVTec AD 2's test_public/\) folder"):
        load_test_set(_small_category(tmp_path / "c"), 1, 16, 16)


def test_a_detector_scores_an_ad2_copy_of_a_category_as_the_original(mvtec_root, detector, tmp_path):
    from synthetic_mvtec import as_mvtec_ad2
    from defect_cae.data import load_test_set
    from defect_cae.evaluate import compute_metrics, predict
    det, _ = detector
    c = det.cae.config
    metrics = []
    for root in (mvtec_root, as_mvtec_ad2(mvtec_root, tmp_path / "ad2")):
        test = load_test_set(root, c.channels, c.height, c.width)
        metrics.append(compute_metrics(test, predict(det, test.images, "cpu"))["overall"])
    assert metrics[0]["pixel_auroc"] > 0.5 and metrics[0]["images"] == metrics[1]["images"] == 14
    for key, value in metrics[0].items():
        assert metrics[1][key] == (pytest.approx(value) if isinstance(value, float) else value), key


def test_the_split_fingerprint_names_the_files_not_where_the_folder_lies(mvtec_root, tmp_path):
    import shutil
    from defect_cae.data import split_good
    moved = tmp_path / "elsewhere"
    shutil.copytree(mvtec_root, moved)
    same = split_good(mvtec_root, seed=3).fingerprint(mvtec_root)
    assert split_good(moved, seed=3).fingerprint(moved) == same
    assert split_good(moved, seed=4).fingerprint(moved) != same
    assert split_good(moved, 0.25, seed=3).fingerprint(moved) != same
    shutil.copy(sorted((moved / "train" / "good").glob("*.png"))[0], moved / "train" / "good" / "zz.png")
    assert split_good(moved, seed=3).fingerprint(moved) != same


@pytest.mark.parametrize("peak, warned", [(4095, "12 bits"), (1023, "10 bits"), (65535, None), (None, None)])
def test_sixteen_bit_training_images_holding_few_bits_are_warned_about(tmp_path, peak, warned):
    root = _small_category(tmp_path / "c", n=3)  # 8-bit files; peak None keeps only them
    if peak is not None:
        for i in range(3):
            a = np.linspace(0, peak, 16 * 16).reshape(16, 16).astype(np.uint16) // (i + 1)
            Image.fromarray(a).save(root / "train" / "good" / f"deep{i}.png")
    warning = shallow_depth_warning(root)
    if warned is None:
        assert warning is None
    else:
        assert warned in warning and "3 images" in warning and f"largest sample {peak}" in warning


def test_jpeg_masks_beside_png_images_are_found_and_read_at_mid_grey(mvtec_root, tmp_path):
    from defect_cae.data import load_test_set
    root = _copy_of(mvtec_root, tmp_path / "c")
    for t in ("spot", "line"):
        for m in (root / "ground_truth" / t).glob("*_mask.png"):
            with Image.open(m) as im:
                im.convert("L").save(m.with_suffix(".jpg"), quality=75)  # real JPEG: noise around the edges
            m.unlink()
    said = []
    jpeg, plain = load_test_set(root, 1, 64, 64, warn=said.append), load_test_set(mvtec_root, 1, 64, 64)
    assert jpeg.has_mask.all() and said and "JPEG" in said[0]
    bad = plain.labels.astype(bool)
    inter = (jpeg.masks[bad] & plain.masks[bad]).sum()
    union = (jpeg.masks[bad] | plain.masks[bad]).sum()
    assert inter / union > 0.9, (inter, union)  # any non-zero sample would take in the compression noise


def test_masks_saved_beside_their_images_are_left_out_of_the_test_set_with_a_warning(mvtec_root, tmp_path):
    from defect_cae.data import load_test_set
    root = _copy_of(mvtec_root, tmp_path / "c")
    for m in (root / "ground_truth" / "spot").iterdir():
        (root / "test" / "spot" / m.name).write_bytes(m.read_bytes())
    said = []
    test = load_test_set(root, 1, 32, 32, warn=said.append)
    _assert_same_test_sets(_by_name(test), _by_name(load_test_set(mvtec_root, 1, 32, 32)))
    assert len(said) == 1 and said[0].startswith("4 files named <stem>_mask.* in test/<defect type>/ (e.g. "
                                                 f"{root / 'test' / 'spot' / '000_mask.png'}) are left out")


def test_inverted_masks_are_warned_about(mvtec_root, tmp_path):
    from defect_cae.data import load_test_set
    root = _copy_of(mvtec_root, tmp_path / "c")
    m = root / "ground_truth" / "line" / "001_mask.png"
    with Image.open(m) as im:
        Image.fromarray(255 - np.asarray(im.convert("L"))).save(m)
    said = []
    load_test_set(root, 1, 32, 32, warn=said.append)
    assert said == [f"1 defective test images (e.g. {root / 'test' / 'line' / '001.png'}) have a mask marking more "
                    "than half of the image: masks are non-zero where the defect is, so an inverted mask (white "
                    "background) marks everything but the defect"]


def test_exif_orientation_is_ignored_and_said_so(mvtec_root, tmp_path):
    from defect_cae.data import load_test_set
    root = _copy_of(mvtec_root, tmp_path / "c")
    image = root / "test" / "line" / "001.png"
    exif = Image.Exif()
    exif[0x0112] = 6  # viewers rotate it by 90 degrees
    with Image.open(image) as im:
        im.load()
    im.save(image, exif=exif)
    said = []
    test = load_test_set(root, 1, 32, 32, warn=said.append)
    _assert_same_test_sets(_by_name(test), _by_name(load_test_set(mvtec_root, 1, 32, 32)))  # pixels as stored
    assert len(said) == 1 and said[0].startswith(f"1 test images (e.g. {image}) carry an EXIF orientation")
    mask = root / "ground_truth" / "line" / "001_mask.png"
    with Image.open(mask) as m:
        m.resize((64, 48)).save(mask)  # drawn on a turned view of another shape
    with pytest.raises(DatasetError, match=r"is 64x48 but its image is 64x64 \(as stored; viewers show it turned"):
        load_test_set(root, 1, 32, 32)


def test_channels_are_guessed_from_every_good_image_not_the_first_few(tmp_path):
    from defect_cae.data import guess_channels
    root = _small_category(tmp_path / "c", n=40)
    assert guess_channels(root) == 1
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[..., 0] = 200
    Image.fromarray(rgb).save(root / "train" / "good" / "039.png")  # the last one in sorted order
    assert guess_channels(root) == 3


def test_cmyk_images_are_refused_as_the_job_refuses_them(tmp_path):
    from defect_cae.preprocess import decode_8bit
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (16, 16), (0, 50, 100, 0)).save(path)
    with pytest.raises(ValueError, match="CMYK image: the job rejects CMYK frames"):
        decode_8bit(path)


def test_the_frame_aspect_tolerance_a_squashed_training_set_needs(tmp_path):
    from defect_cae.data import aspect_tolerance_needed
    root = _small_category(tmp_path / "square")
    assert aspect_tolerance_needed(root, 16, 16) == 0.0
    Image.fromarray(np.zeros((16, 40), np.uint8)).save(root / "train" / "good" / "wide.png")  # 40x16: 2.5x
    Image.fromarray(np.zeros((20, 16), np.uint8)).save(root / "train" / "good" / "tall.png")  # 16x20: 1.25x
    assert aspect_tolerance_needed(root, 16, 16) == 1.5
    assert aspect_tolerance_needed(root, 16, 24) == 0.875  # a 24x16 model (1.5): the tall one is 1.875x off


def test_ground_truth_folders_in_another_letter_case_and_test_copies_of_good_images_are_warned_about(
        mvtec_root, tmp_path):
    import shutil
    from defect_cae.data import load_test_set
    root = _copy_of(mvtec_root, tmp_path / "c")
    (root / "ground_truth" / "spot").rename(root / "ground_truth" / "Spot")
    train = sorted((root / "train" / "good").iterdir())[0]
    shutil.copy(train, root / "test" / "good" / "copy.png")
    said = []
    load_test_set(root, 1, 32, 32, warn=said.append)
    assert any(m.startswith(f"the masks of defect type spot are looked for in {root / 'ground_truth' / 'spot'}, "
                            f"which does not exist; {root / 'ground_truth' / 'Spot'} differs only in letter case")
               for m in said), said
    assert any(m.startswith(f"1 test images are byte-for-byte copies of good images the model trains or calibrates "
                            f"on (e.g. {root / 'test' / 'good' / 'copy.png'} = {train})") for m in said), said


def test_a_model_input_larger_than_every_good_image_is_warned_about(tmp_path):
    from defect_cae.data import upsampling_warning
    root = _small_category(tmp_path / "c")  # 16x16 images
    assert upsampling_warning(root, 16, 16) is None
    assert upsampling_warning(root, 32, 16) is None  # not larger on both axes
    assert upsampling_warning(root, 64, 64).startswith("the good images are at most 16x16, smaller than the "
                                                       "model's 64x64 input on both axes")


def test_test_and_ground_truth_folders_the_evaluation_would_leave_out_are_warned_about(mvtec_root, tmp_path):
    from defect_cae.data import load_test_set
    root = _copy_of(mvtec_root, tmp_path / "c")
    Image.new("L", (64, 64), 0).save(root / "ground_truth" / "spot" / "099_mask.png")  # no test/spot/099.png
    (root / "test" / "dent").mkdir()  # a defect type without images
    (root / "ground_truth" / "stain").mkdir()  # masks of a type without test images
    Image.new("L", (64, 64), 255).save(root / "ground_truth" / "stain" / "000_mask.png")
    said = []
    load_test_set(root, 1, 32, 32, warn=said.append)
    assert said == ["test/ folders without images: dent (left out)",
                    f"{root / 'ground_truth'} has masks of defect types without a test folder: stain (not evaluated)",
                    f"1 ground-truth files match no test image (e.g. {root / 'ground_truth' / 'spot' / '099_mask.png'}"
                    "): a test image missing or renamed?"]

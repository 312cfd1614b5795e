import io
import struct
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from defect_cae.preprocess import (area_resize, decode_8bit, mask_pixels, pool_windows, preprocess, preprocess_mask,
                                   to_channels)


@pytest.mark.parametrize("in_hw,out_hw", [((256, 256), (128, 128)), ((300, 217), (128, 128)),
                                          ((97, 131), (128, 128)), ((128, 128), (128, 128)), ((5, 7), (3, 2)),
                                          ((1080, 1440), (256, 256))])
def test_area_resize_equals_torch_adaptive_avg_pool2d(in_hw, out_hw):
    samples = np.random.default_rng(1).integers(0, 256, (3, *in_hw), dtype=np.uint8)
    ours = area_resize(samples, *out_hw, scale=255.0).astype(np.float32)
    ref = F.adaptive_avg_pool2d(torch.from_numpy(samples / np.float32(255))[None], out_hw)[0].numpy()
    assert ours.shape == (3, *out_hw)
    np.testing.assert_allclose(ours, ref, atol=1e-6, rtol=0)


def test_each_value_is_one_division_of_the_exact_window_sum_as_the_java_job_computes_it():
    # Java: (float) (integerSum / (255.0 * windowRows * windowColumns)).
    gray = np.random.default_rng(2).integers(0, 256, (37, 53), dtype=np.uint8)
    out = preprocess(gray, 1, 16, 24)
    expected = np.zeros((16, 24), np.float32)
    for oy, (y0, y1) in enumerate(pool_windows(37, 16)):
        for ox, (x0, x1) in enumerate(pool_windows(53, 24)):
            total = int(gray[y0:y1, x0:x1].astype(np.int64).sum())
            expected[oy, ox] = np.float32(total / (255.0 * (y1 - y0) * (x1 - x0)))
    assert np.array_equal(out[0], expected)


def test_pool_windows_follow_the_documented_formula():
    # 5 inputs -> 3 outputs: [0,2), [1,4), [3,5)  (floor(i*5/3) .. ceil((i+1)*5/3) - 1)
    assert pool_windows(5, 3) == [(0, 2), (1, 4), (3, 5)]
    assert pool_windows(4, 2) == [(0, 2), (2, 4)]
    assert pool_windows(3, 3) == [(0, 1), (1, 2), (2, 3)]


def test_gray_conversion_is_integer_bt601_with_rounding():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30], [255, 255, 255]]], dtype=np.uint8)
    g = to_channels(rgb, 1)[0, 0]
    # (299*R + 587*G + 114*B + 500) // 1000, worked by hand
    assert g.tolist() == [76, 150, 29, 18, 255]


def test_gray_image_is_replicated_for_three_channel_models():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = to_channels(gray, 3)
    assert out.shape == (3, 3, 4)
    assert all(np.array_equal(out[c], gray) for c in range(3))


def test_scaling_without_resize_is_exactly_sample_over_255():
    a = np.arange(256, dtype=np.uint8).reshape(16, 16)
    x = preprocess(a, 1, 16, 16)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x[0], (a.astype(np.float64) / 255).astype(np.float32))


def _png_rgb16(width, height, rgb16: np.ndarray) -> bytes:
    raw = b"".join(b"\0" + rgb16[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_sixteen_bit_png_keeps_the_high_byte(tmp_path):
    rng = np.random.default_rng(0)
    hi = rng.integers(0, 256, (6, 5), dtype=np.uint16)
    g16 = hi * 256 + rng.integers(0, 256, (6, 5), dtype=np.uint16)
    Image.fromarray(g16.astype(np.uint16)).save(tmp_path / "g16.png")
    assert np.array_equal(decode_8bit(tmp_path / "g16.png"), hi.astype(np.uint8))
    rgb_hi = rng.integers(0, 256, (4, 3, 3), dtype=np.uint16)
    rgb16 = rgb_hi * 256 + rng.integers(0, 256, (4, 3, 3), dtype=np.uint16)
    png = _png_rgb16(3, 4, rgb16.reshape(4, 9))
    assert np.array_equal(decode_8bit(png), rgb_hi.astype(np.uint8))


def test_alpha_is_dropped_not_composited():
    rgb = np.random.default_rng(2).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    rgba = np.dstack([rgb, np.zeros((8, 8), np.uint8)])  # fully transparent
    b = io.BytesIO()
    Image.fromarray(rgba).save(b, "PNG")
    assert np.array_equal(decode_8bit(b.getvalue()), rgb)
    la = io.BytesIO()
    Image.fromarray(np.dstack([rgb[..., 0], rgb[..., 1]])).save(la, "PNG")
    assert np.array_equal(decode_8bit(la.getvalue()), rgb[..., 0])


def test_palette_is_expanded_to_its_colours():
    im = Image.new("P", (4, 2))
    im.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    im.putdata([0, 1, 0, 1, 1, 1, 0, 0])
    b = io.BytesIO()
    im.save(b, "PNG")
    out = decode_8bit(b.getvalue())
    assert out.shape == (2, 4, 3)
    assert out[0, 0].tolist() == [10, 20, 30] and out[0, 1].tolist() == [200, 100, 50]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def test_an_index_beyond_a_short_palette_takes_its_last_entry_as_in_the_job():
    # Invalid PNG a camera may still send: 3 colours, indices up to 200 (FrameDecoderPaletteTest, the same rule).
    ihdr = struct.pack(">IIBBBBB", 4, 1, 8, 3, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
           + _png_chunk(b"PLTE", bytes([10, 20, 30, 40, 50, 60, 31, 158, 228]))
           + _png_chunk(b"IDAT", zlib.compress(bytes([0, 0, 2, 3, 200]))) + _png_chunk(b"IEND", b""))
    out = decode_8bit(png)
    assert out.tolist() == [[[10, 20, 30], [31, 158, 228], [31, 158, 228], [31, 158, 228]]]


def test_mask_is_resized_by_area_coverage():
    m = np.zeros((8, 8), np.uint8)
    m[:4, :2] = 255  # covers half of the top-left 4x4 block
    m[4:, 4:] = 255
    out = preprocess_mask(m, 2, 2)
    assert out.tolist() == [[True, False], [False, True]]


def test_a_scratch_thinner_than_half_a_model_pixel_stays_in_the_mask_as_a_thin_line():
    # A 3-pixel-wide scratch at 128x128 seen at 16x16 (8x): it covers at most 3/8 of a model pixel, so the
    # coverage >= 0.5 rule alone would erase it. Rows 20-99 touch model rows 2-12, fully rows 3-11 (coverage 3/8)
    # and half of rows 2 and 12 (3/16, exactly half the peak).
    m = np.zeros((128, 128), np.uint8)
    m[20:100, 61:64] = 255
    expected = np.zeros((16, 16), bool)
    expected[2:13, 7] = True
    assert preprocess_mask(m, 16, 16).tolist() == expected.tolist()


def test_thin_and_thick_defects_in_one_mask_each_follow_their_rule():
    m = np.zeros((64, 64), np.uint8)
    m[8:24, 8:24] = 255  # 16x16 square: model pixels 2..5 fully covered at 16x16 (4x)
    m[10:11, 40:60] = 255  # 1-pixel line: coverage 1/4 along model row 2, columns 10..14
    out = preprocess_mask(m, 16, 16)
    expected = np.zeros((16, 16), bool)
    expected[2:6, 2:6] = True
    expected[2, 10:15] = True
    assert out.tolist() == expected.tolist()


def test_two_nearby_lines_of_different_width_each_stay():
    # Rows 400 and 409-411 of a 1024-pixel mask fall in adjacent model rows 50 and 51 at 128: one region there,
    # where the fainter line (1/8 coverage) would fall below half the other's (3/8).
    m = np.zeros((1024, 1024), np.uint8)
    m[400, 200:600] = 255
    m[409:412, 200:600] = 255
    out = preprocess_mask(m, 128, 128)
    assert out[50, 25:75].all() and out[51, 25:75].all() and out.sum() == 100


def test_compact_defects_keep_the_plain_coverage_rule():
    # Filled ellipses of many sizes, shapes and positions, alone in their mask: at least half covered, or, for one
    # too thin to cover half of any model pixel, at least half of its largest coverage; nothing else.
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:300, 0:200]
    for _ in range(60):
        cy, cx, ry, rx = rng.uniform(0, 300), rng.uniform(0, 200), rng.uniform(0.5, 40), rng.uniform(0.5, 40)
        m = (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1).astype(np.uint8)
        if not m.any():
            continue
        cover = area_resize(m[None], 37, 23)[0]
        peak = cover.max()
        expected = cover >= 0.5 if peak >= 0.5 else (cover > 0) & (cover >= peak / 2)
        assert (preprocess_mask(m * 255, 37, 23) == expected).all()


def test_mask_components_are_the_8_connected_components():
    from defect_cae.metrics import label_components  # the flood fill the pixel metrics use (test_metrics)
    from defect_cae.preprocess import mask_components
    rng = np.random.default_rng(4)
    for _ in range(30):
        m = rng.random((int(rng.integers(1, 40)), int(rng.integers(1, 40)))) < rng.uniform(0.05, 0.6)
        labels, count = label_components(m)
        found = list(mask_components(m))
        assert len(found) == count
        rebuilt = np.zeros(m.shape, np.int32)
        for y0, y1, x0, x1, crop in found:
            lab = labels[y0:y1, x0:x1][crop]
            assert len(set(lab.tolist())) == 1 and (labels == lab[0]).sum() == crop.sum()
            rebuilt[y0:y1, x0:x1][crop] += 1
        assert (rebuilt == m).all()  # every marked pixel in exactly one component


def test_a_sixteen_bit_mask_counts_every_non_zero_sample_not_only_its_high_byte(tmp_path):
    # Label tools write 16-bit masks of value 1 (or a class index); their high byte is 0 everywhere.
    m = np.zeros((8, 8), np.uint16)
    m[:4, :4] = 1
    m[4:, 4:] = 300
    Image.fromarray(m).save(tmp_path / "m16.png")
    expected = m != 0
    assert np.array_equal(mask_pixels(tmp_path / "m16.png"), expected)
    assert np.array_equal(mask_pixels(m.astype(np.uint16)), expected)
    assert preprocess_mask(tmp_path / "m16.png", 2, 2).tolist() == [[True, False], [False, True]]
    eight = np.where(expected, 1, 0).astype(np.uint8)  # 8-bit masks of value 1 too
    Image.fromarray(eight).save(tmp_path / "m8.png")
    assert np.array_equal(mask_pixels(tmp_path / "m8.png"), expected)



def test_a_16_bit_mask_with_colour_or_alpha_is_refused_as_pil_reads_only_its_high_byte():
    m = np.zeros((8, 8, 3), np.uint16)
    m[2:4, 2:4] = 65535
    with pytest.raises(ValueError, match="16-bit PNG mask with colour or alpha cannot be read at its full depth"):
        mask_pixels(_png_rgb16(8, 8, m.reshape(8, 24)))
    with pytest.raises(ValueError, match="16-bit PNG mask with colour or alpha"):
        mask_pixels(_png_gray_alpha16(8, 8))
    g16 = np.zeros((8, 8), np.uint16)
    g16[2:4, 2:4] = 1  # 16-bit gray masks are read at their depth
    b = io.BytesIO()
    Image.fromarray(g16.astype(np.uint16)).save(b, "PNG")
    assert mask_pixels(b.getvalue()).sum() == 4


def _png_gray_alpha16(width, height) -> bytes:
    """A 16-bit gray + alpha PNG: value 1, alpha 65535 (PIL opens it as 8-bit and keeps the high byte, 0)."""
    ga = np.zeros((height, width * 2), np.uint16)
    ga[:, 0::2] = 1
    ga[:, 1::2] = 65535
    raw = b"".join(b"\0" + ga[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 4, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")

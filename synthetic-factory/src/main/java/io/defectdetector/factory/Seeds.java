package io.defectdetector.factory;

import java.nio.charset.StandardCharsets;

/**
 * Derives independent 64-bit seeds from a root seed and a path of labels, so that every image depends only on
 * its own key (product, split, label, index). That is what keeps parallel generation byte-for-byte deterministic.
 */
public final class Seeds {
    private Seeds() {
    }

    /** SplitMix64's finaliser: a bijective, well-mixing 64-bit hash. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    public static long derive(long seed, Object... path) {
        long h = mix64(seed ^ 0x9E3779B97F4A7C15L);
        for (Object part : path) {
            if (part instanceof Number n) {
                h = mix64(h ^ mix64(n.longValue() + 0x632BE59BD9B4E019L));
            } else {
                for (byte b : String.valueOf(part).getBytes(StandardCharsets.UTF_8)) {
                    h = mix64(h * 31 + (b & 0xff));
                }
                h = mix64(h ^ 0x5851F42D4C957F2DL); // separator: ("ab","c") != ("a","bc")
            }
        }
        return h;
    }
}

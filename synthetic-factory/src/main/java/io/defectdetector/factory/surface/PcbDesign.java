package io.defectdetector.factory.surface;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The artwork of one fixed circuit board (the "product"), rasterised once with anti-aliased signed-distance
 * shapes: solder mask, traces under the mask, gold pads and vias, chip bodies and white silkscreen. Each image
 * then samples it through its own pose, like a camera looking at boards coming down a line.
 */
final class PcbDesign {
    static final double MARGIN = 24;
    private static final double SPAN = Pose.REFERENCE_SIZE + 2 * MARGIN;
    private static final ConcurrentHashMap<Integer, PcbDesign> CACHE = new ConcurrentHashMap<>();

    static final double[] MASK = {28, 98, 52};
    static final double[] TRACE = {52, 140, 72};
    static final double[] GOLD = {212, 178, 96};
    static final double[] HOLE = {14, 18, 14};
    static final double[] BODY = {36, 36, 40};
    static final double[] CAP = {176, 150, 112};
    static final double[] SILK = {232, 232, 222};

    private final int res;
    private final int side;
    private final float[] rgb;

    private PcbDesign(int res) {
        this.res = res;
        this.side = (int) Math.round(SPAN * res);
        this.rgb = new float[side * side * 3];
        for (int i = 0; i < side * side; i++) {
            rgb[3 * i] = (float) MASK[0];
            rgb[3 * i + 1] = (float) MASK[1];
            rgb[3 * i + 2] = (float) MASK[2];
        }
        draw();
    }

    /** Samples per reference pixel: at least two, and at least twice the image scale, to stay anti-aliased. */
    static PcbDesign forScale(double scale) {
        int res = Math.max(2, (int) Math.ceil(2 * scale));
        return CACHE.computeIfAbsent(res, PcbDesign::new);
    }

    /** Bilinear lookup at product-space (u, v); outside the artwork is bare solder mask. */
    void sample(double u, double v, double[] out) {
        double x = (u + MARGIN) * res - 0.5;
        double y = (v + MARGIN) * res - 0.5;
        double fx0 = Math.floor(x);
        double fy0 = Math.floor(y);
        int x0 = (int) fx0;
        int y0 = (int) fy0;
        double ax = x - fx0;
        double ay = y - fy0;
        if (x0 < 0 || y0 < 0 || x0 + 1 >= side || y0 + 1 >= side) {
            out[0] = MASK[0];
            out[1] = MASK[1];
            out[2] = MASK[2];
            return;
        }
        int i00 = (y0 * side + x0) * 3;
        int i10 = i00 + 3;
        int i01 = i00 + side * 3;
        int i11 = i01 + 3;
        for (int c = 0; c < 3; c++) {
            double top = rgb[i00 + c] + ax * (rgb[i10 + c] - rgb[i00 + c]);
            double bottom = rgb[i01 + c] + ax * (rgb[i11 + c] - rgb[i01 + c]);
            out[c] = top + ay * (bottom - top);
        }
    }

    // ---- the artwork ----

    private void draw() {
        SplittableRandom rng = new SplittableRandom(0x5CB_2024L); // the board design never changes
        List<double[]> vias = new ArrayList<>();

        // Traces first: they run under everything else.
        double qx = 96;
        double qy = 110;
        int pins = 9;
        double pitch = 5.5;
        for (int side = 0; side < 4; side++) {
            for (int k = 0; k < pins; k++) {
                if ((k * 7 + side * 3) % 5 == 0) {
                    continue; // unconnected pins
                }
                double off = (k - (pins - 1) / 2.0) * pitch;
                double len = 10 + (k % 3) * 9;
                double[] start = rotate(side, 37.5, off);
                double[] end = rotate(side, 37.5 + len, off);
                capsule(qx + start[0], qy + start[1], qx + end[0], qy + end[1], 1.15, TRACE);
                vias.add(new double[] {qx + end[0], qy + end[1]});
            }
        }
        double[][] parts = {
            {178, 150, 0}, {214, 150, 0}, {180, 182, 1}, {214, 196, 0}, {36, 214, 0}, {70, 214, 0},
            {104, 226, 1}, {150, 236, 0}, {236, 226, 1}, {160, 24, 1}, {30, 60, 1}, {246, 118, 1},
        };
        double sx = 205;
        double sy = 64;
        List<double[]> soicPads = new ArrayList<>();
        for (int k = 0; k < 5; k++) {
            soicPads.add(new double[] {sx - 20, sy + (k - 2) * 8});
            soicPads.add(new double[] {sx + 20, sy + (k - 2) * 8});
        }
        // Routed nets: a part pad to a via or a chip pin, Manhattan with a 45 degree bend.
        for (int p = 0; p < parts.length; p++) {
            double[] part = parts[p];
            double[] pad = partPad(part, p % 2 == 0 ? -1 : 1);
            double[] target = p % 3 == 0 ? soicPads.get(rng.nextInt(soicPads.size()))
                    : vias.get(rng.nextInt(vias.size()));
            route(pad[0], pad[1], target[0], target[1], p % 2 == 0);
        }
        for (int b = 0; b < 4; b++) { // a bus along the bottom edge
            double y = 248 + b * 6;
            route(8, y, 128 + b * 6, y - 30 - b * 6, true);
            vias.add(new double[] {128 + b * 6, y - 30 - b * 6});
        }
        for (int k = 0; k < 5; k += 2) {
            route(sx + 20, sy + (k - 2) * 8, 262, sy + (k - 2) * 8 + 30, true);
        }

        // Copper that is exposed: pads and vias.
        for (int side = 0; side < 4; side++) {
            for (int k = 0; k < pins; k++) {
                double off = (k - (pins - 1) / 2.0) * pitch;
                double[] c = rotate(side, 33, off);
                boolean horizontal = side % 2 == 0;
                rect(qx + c[0], qy + c[1], horizontal ? 4.5 : 1.4, horizontal ? 1.4 : 4.5, 0.4, GOLD);
            }
        }
        for (double[] pad : soicPads) {
            rect(pad[0], pad[1], 4.2, 1.9, 0.5, GOLD);
        }
        for (double[] via : vias) {
            circle(via[0], via[1], 2.9, GOLD);
            circle(via[0], via[1], 1.3, HOLE);
        }
        for (int k = 0; k < 14; k++) { // stitching vias
            double x = 10 + rng.nextDouble() * 236;
            double y = 10 + rng.nextDouble() * 236;
            if (Math.abs(x - qx) < 52 && Math.abs(y - qy) < 52) {
                continue;
            }
            circle(x, y, 2.6, GOLD);
            circle(x, y, 1.1, HOLE);
        }
        circle(-4, -4, 13, GOLD); // mounting hole in the corner
        circle(-4, -4, 8.5, HOLE);

        // Components and silkscreen.
        rect(qx, qy, 28, 28, 1.5, BODY);
        circle(qx - 20, qy - 20, 2.2, new double[] {60, 60, 66});
        rect(sx, sy, 13, 22, 1.0, BODY);
        circle(sx - 8, sy - 16, 1.6, new double[] {60, 60, 66});
        for (int p = 0; p < parts.length; p++) {
            double[] part = parts[p];
            boolean vertical = part[2] > 0;
            boolean capacitor = p % 3 == 1;
            for (int end = -1; end <= 1; end += 2) {
                double[] pad = partPad(part, end);
                rect(pad[0], pad[1], 2.4, 2.4, 0.4, GOLD);
            }
            rect(part[0], part[1], vertical ? 2.6 : 3.6, vertical ? 3.6 : 2.6, 0.5, capacitor ? CAP : BODY);
            double hw = vertical ? 4.6 : 9.0;
            double hh = vertical ? 9.0 : 4.6;
            outline(part[0], part[1], hw, hh);
            label(vertical ? part[0] + 7 : part[0] - 6, vertical ? part[1] - 3 : part[1] - 13,
                    capacitor ? 'C' : 'R', p + 1);
        }
        double h = 40;
        for (int sxn = -1; sxn <= 1; sxn += 2) { // QFP corner marks
            for (int syn = -1; syn <= 1; syn += 2) {
                capsule(qx + sxn * h, qy + syn * h, qx + sxn * (h - 7), qy + syn * h, 0.6, SILK);
                capsule(qx + sxn * h, qy + syn * h, qx + sxn * h, qy + syn * (h - 7), 0.6, SILK);
            }
        }
        circle(qx - h - 3, qy - h - 3, 1.4, SILK);
        label(qx - 6, qy - h - 12, 'U', 1);
        outline(sx, sy, 27, 24.5);
        label(sx - 6, sy - 36, 'U', 2);
        label(12, 40, 'J', 1);
        for (int k = 0; k < 6; k++) { // a test-point row
            double x = 40 + k * 12;
            circle(x, 200, 2.2, GOLD);
            capsule(x - 4, 194, x + 4, 194, 0.5, SILK);
        }
    }

    private static double[] partPad(double[] part, int end) {
        boolean vertical = part[2] > 0;
        return vertical ? new double[] {part[0], part[1] + end * 4.6} : new double[] {part[0] + end * 4.6, part[1]};
    }

    /** (along, across) relative to a square chip's centre, for side 0..3 = left, top, right, bottom. */
    private static double[] rotate(int side, double along, double across) {
        return switch (side) {
            case 0 -> new double[] {-along, across};
            case 1 -> new double[] {across, -along};
            case 2 -> new double[] {along, across};
            default -> new double[] {across, along};
        };
    }

    private void route(double x0, double y0, double x1, double y1, boolean horizontalFirst) {
        double dx = x1 - x0;
        double dy = y1 - y0;
        double diag = Math.min(Math.abs(dx), Math.abs(dy));
        double mx;
        double my;
        if (horizontalFirst) {
            mx = x1 - Math.signum(dx) * diag;
            my = y0;
        } else {
            mx = x0;
            my = y1 - Math.signum(dy) * diag;
        }
        capsule(x0, y0, mx, my, 1.15, TRACE);
        capsule(mx, my, x1, y1, 1.15, TRACE);
    }

    private void outline(double cx, double cy, double hw, double hh) {
        capsule(cx - hw, cy - hh, cx + hw, cy - hh, 0.55, SILK);
        capsule(cx - hw, cy + hh, cx + hw, cy + hh, 0.55, SILK);
        capsule(cx - hw, cy - hh, cx - hw, cy + hh, 0.55, SILK);
        capsule(cx + hw, cy - hh, cx + hw, cy + hh, 0.55, SILK);
    }

    /** A designator like "R7" in a seven-segment stroke font, 6 units tall, top-left at (x, y). */
    private void label(double x, double y, char letter, int number) {
        glyph(x, y, letter);
        String digits = Integer.toString(number);
        for (int i = 0; i < digits.length(); i++) {
            glyph(x + 5 * (i + 1), y, digits.charAt(i));
        }
    }

    private void glyph(double x, double y, char ch) {
        String segments = switch (ch) {
            case '0' -> "abcdef";
            case '1' -> "bc";
            case '2' -> "abged";
            case '3' -> "abgcd";
            case '4' -> "fgbc";
            case '5' -> "afgcd";
            case '6' -> "afgedc";
            case '7' -> "abc";
            case '8' -> "abcdefg";
            case '9' -> "abcdfg";
            case 'U' -> "bcdef";
            case 'R' -> "eg";
            case 'C' -> "adef";
            case 'J' -> "bcde";
            default -> "g";
        };
        double w = 3.2;
        double hh = 3.0;
        for (char s : segments.toCharArray()) {
            switch (s) {
                case 'a' -> capsule(x, y, x + w, y, 0.45, SILK);
                case 'b' -> capsule(x + w, y, x + w, y + hh, 0.45, SILK);
                case 'c' -> capsule(x + w, y + hh, x + w, y + 2 * hh, 0.45, SILK);
                case 'd' -> capsule(x, y + 2 * hh, x + w, y + 2 * hh, 0.45, SILK);
                case 'e' -> capsule(x, y + hh, x, y + 2 * hh, 0.45, SILK);
                case 'f' -> capsule(x, y, x, y + hh, 0.45, SILK);
                default -> capsule(x, y + hh, x + w, y + hh, 0.45, SILK);
            }
        }
    }

    // ---- anti-aliased shape painting: coverage from the signed distance at each sample ----

    private interface Sdf {
        double at(double x, double y);
    }

    private void capsule(double x0, double y0, double x1, double y1, double r, double[] color) {
        double dx = x1 - x0;
        double dy = y1 - y0;
        double len2 = dx * dx + dy * dy;
        paint(Math.min(x0, x1) - r, Math.min(y0, y1) - r, Math.max(x0, x1) + r, Math.max(y0, y1) + r, (x, y) -> {
            double t = len2 == 0 ? 0 : Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / len2));
            double ex = x - (x0 + t * dx);
            double ey = y - (y0 + t * dy);
            return Math.sqrt(ex * ex + ey * ey) - r;
        }, color);
    }

    private void circle(double cx, double cy, double r, double[] color) {
        paint(cx - r, cy - r, cx + r, cy + r, (x, y) -> Math.sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) - r,
                color);
    }

    private void rect(double cx, double cy, double hw, double hh, double radius, double[] color) {
        paint(cx - hw, cy - hh, cx + hw, cy + hh, (x, y) -> {
            double qx = Math.abs(x - cx) - (hw - radius);
            double qy = Math.abs(y - cy) - (hh - radius);
            double ox = Math.max(qx, 0);
            double oy = Math.max(qy, 0);
            return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0) - radius;
        }, color);
    }

    private void paint(double minX, double minY, double maxX, double maxY, Sdf sdf, double[] color) {
        int i0 = Math.max(0, (int) Math.floor((minX + MARGIN) * res) - 2);
        int j0 = Math.max(0, (int) Math.floor((minY + MARGIN) * res) - 2);
        int i1 = Math.min(side - 1, (int) Math.ceil((maxX + MARGIN) * res) + 2);
        int j1 = Math.min(side - 1, (int) Math.ceil((maxY + MARGIN) * res) + 2);
        for (int j = j0; j <= j1; j++) {
            double y = (j + 0.5) / res - MARGIN;
            for (int i = i0; i <= i1; i++) {
                double x = (i + 0.5) / res - MARGIN;
                double cover = Math.max(0, Math.min(1, 0.5 - sdf.at(x, y) * res));
                if (cover > 0) {
                    int k = (j * side + i) * 3;
                    for (int c = 0; c < 3; c++) {
                        rgb[k + c] += (float) (cover * (color[c] - rgb[k + c]));
                    }
                }
            }
        }
    }
}

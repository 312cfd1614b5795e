package io.defectdetector.factory.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.defectdetector.factory.SurfaceFactory;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.image.Image;
import io.defectdetector.factory.image.Png;
import io.defectdetector.factory.surface.Product;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MvtecWriterTest {
    private static final List<DefectKind> DEFECTS = List.of(DefectKind.SCRATCH, DefectKind.HOLE);
    private static final DatasetSpec SPEC = new DatasetSpec(List.of(Product.TILES, Product.PCB), DEFECTS, 64, 48, 7,
            5, 3, 2);

    @Test
    void writesTheMvtecLayoutWithMasksOfTheImageSize(@TempDir Path root) throws IOException {
        AtomicInteger progress = new AtomicInteger();
        new MvtecWriter(SPEC, 2).write(root, progress::incrementAndGet);

        assertThat(progress.get()).isEqualTo(2 * (5 + 3 + 2 * 2));
        for (Product p : SPEC.products()) {
            Path dir = root.resolve(p.id());
            assertThat(list(dir.resolve("train/good"))).containsExactly("000.png", "001.png", "002.png", "003.png",
                    "004.png");
            assertThat(list(dir.resolve("test/good"))).containsExactly("000.png", "001.png", "002.png");
            assertThat(list(dir.resolve("test"))).containsExactlyInAnyOrder("good", "scratch", "hole");
            for (DefectKind k : DEFECTS) {
                assertThat(list(dir.resolve("test").resolve(k.id()))).containsExactly("000.png", "001.png");
                assertThat(list(dir.resolve("ground_truth").resolve(k.id())))
                        .containsExactly("000_mask.png", "001_mask.png");
                for (String n : List.of("000", "001")) {
                    Image img = Png.read(dir.resolve("test").resolve(k.id()).resolve(n + ".png"));
                    Image mask = Png.read(dir.resolve("ground_truth").resolve(k.id()).resolve(n + "_mask.png"));
                    assertThat(img.width()).isEqualTo(64);
                    assertThat(img.height()).isEqualTo(48);
                    assertThat(img.channels()).isEqualTo(p.channels());
                    assertThat(mask.width()).isEqualTo(64);
                    assertThat(mask.height()).isEqualTo(48);
                    assertThat(mask.channels()).isEqualTo(1);
                    int on = 0;
                    for (byte b : mask.pixels()) {
                        assertThat(b & 0xff).isIn(0, 255);
                        on += (b & 0xff) == 255 ? 1 : 0;
                    }
                    assertThat(on).isPositive();
                }
            }
        }
        assertThat(root.resolve("tiles/ground_truth/good")).doesNotExist();
        assertThat(root.resolve("tiles/clean")).doesNotExist();

        JsonNode summary = new ObjectMapper().readTree(root.resolve("dataset.json").toFile());
        assertThat(summary.get("seed").asLong()).isEqualTo(7);
        assertThat(summary.get("generator_version").asText()).isEqualTo(SurfaceFactory.GENERATOR_VERSION);
        assertThat(summary.at("/products/tiles/train_good").asInt()).isEqualTo(5);
        assertThat(summary.at("/products/pcb/channels").asInt()).isEqualTo(3);
        assertThat(summary.at("/products/pcb/test_defects/hole").asInt()).isEqualTo(2);
        assertThat(summary.get("total_images").asInt()).isEqualTo(SPEC.totalImages());
    }

    @Test
    void cleanViewsDifferFromTheDefectiveImageExactlyUnderTheMask(@TempDir Path root) throws IOException {
        new MvtecWriter(SPEC, 2, true).write(root, () -> { });
        for (Product p : SPEC.products()) {
            for (DefectKind k : DEFECTS) {
                Path dir = root.resolve(p.id());
                assertThat(list(dir.resolve("clean").resolve(k.id()))).containsExactly("000.png", "001.png");
                for (String n : List.of("000", "001")) {
                    Image img = Png.read(dir.resolve("test").resolve(k.id()).resolve(n + ".png"));
                    Image clean = Png.read(dir.resolve("clean").resolve(k.id()).resolve(n + ".png"));
                    byte[] mask = Png.read(dir.resolve("ground_truth").resolve(k.id()).resolve(n + "_mask.png"))
                            .pixels();
                    int ch = p.channels();
                    for (int i = 0; i < mask.length; i++) {
                        boolean differs = false;
                        for (int c = 0; c < ch; c++) {
                            differs |= img.pixels()[i * ch + c] != clean.pixels()[i * ch + c];
                        }
                        assertThat(differs).as("%s/%s pixel %d", k.id(), n, i).isEqualTo(mask[i] != 0);
                    }
                }
            }
        }
        JsonNode summary = new ObjectMapper().readTree(root.resolve("dataset.json").toFile());
        assertThat(summary.get("clean_views").asBoolean()).isTrue();
    }

    @Test
    void outputIsIdenticalWhateverTheThreadCount(@TempDir Path one, @TempDir Path two) throws IOException {
        new MvtecWriter(SPEC, 1).write(one, () -> { });
        new MvtecWriter(SPEC, 3).write(two, () -> { });
        List<Path> files;
        try (Stream<Path> s = Files.walk(one)) {
            files = s.filter(Files::isRegularFile).map(one::relativize).sorted().toList();
        }
        assertThat(files).hasSize(2 * (5 + 3 + 2 * 2 * 2) + 1);
        for (Path f : files) {
            assertThat(Files.readAllBytes(two.resolve(f))).as(f.toString()).isEqualTo(Files.readAllBytes(one.resolve(f)));
        }
    }

    @Test
    void writtenImagesRegenerateFromTheirSeed(@TempDir Path root) throws IOException {
        new MvtecWriter(SPEC, 2).write(root, () -> { });
        long seed = MvtecWriter.imageSeed(7, Product.PCB, "train", "good", 3);
        Image expected = new SurfaceFactory(64, 48).good(Product.PCB, seed);
        assertThat(Png.read(root.resolve("pcb/train/good/003.png"))).isEqualTo(expected);
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}

package io.defectdetector.factory.cli;

import io.defectdetector.factory.SurfaceFactory;
import io.defectdetector.factory.dataset.ContactSheet;
import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.surface.Product;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "contact-sheet", mixinStandardHelpOptions = true,
        description = "Write a PNG grid with a row per product: good samples, then one sample per defect kind "
                + "outlined in red, for a person to look at.")
final class ContactSheetCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "PNG file to write.")
    Path out;

    @Option(names = "--products", split = ",", converter = ProductsConverter.OfProduct.class,
            description = "Comma-separated products (default: all).")
    List<Product> products = List.of(Product.values());

    @Option(names = "--defects", split = ",", converter = ProductsConverter.OfDefect.class,
            description = "Comma-separated defect kinds (default: all).")
    List<DefectKind> defects = List.of(DefectKind.values());

    @Option(names = "--good", defaultValue = "2", description = "Good samples per row (default: ${DEFAULT-VALUE}).")
    int good;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--size", defaultValue = "256", converter = ImageSize.Converter.class,
            description = "Image size, N or WxH (default: ${DEFAULT-VALUE}).")
    ImageSize size;

    @Override
    public Integer call() throws Exception {
        var sheet = ContactSheet.render(new SurfaceFactory(size.width(), size.height()), products, defects, good,
                seed);
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ImageIO.write(sheet, "png", out.toFile());
        System.out.printf("wrote %dx%d contact sheet to %s%n", sheet.getWidth(), sheet.getHeight(),
                out.toAbsolutePath());
        return 0;
    }
}

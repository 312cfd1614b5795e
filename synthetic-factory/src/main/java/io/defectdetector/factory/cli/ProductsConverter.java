package io.defectdetector.factory.cli;

import io.defectdetector.factory.defects.DefectKind;
import io.defectdetector.factory.surface.Product;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Product and defect names as command-line values, with the list of valid names in the error. */
final class ProductsConverter {
    private ProductsConverter() {
    }

    static final class OfProduct implements ITypeConverter<Product> {
        @Override
        public Product convert(String value) {
            try {
                return Product.fromId(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class OfDefect implements ITypeConverter<DefectKind> {
        @Override
        public DefectKind convert(String value) {
            try {
                return DefectKind.fromId(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}

package io.defectdetector.factory.cli;

import io.defectdetector.factory.camera.FrameEncoding;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

final class EncodingConverter implements ITypeConverter<FrameEncoding> {
    @Override
    public FrameEncoding convert(String value) {
        try {
            return FrameEncoding.fromId(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}

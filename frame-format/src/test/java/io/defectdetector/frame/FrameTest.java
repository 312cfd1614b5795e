package io.defectdetector.frame;

import static org.assertj.core.api.Assertions.assertThat;

import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FrameTest {
    private static Frame frame(byte[] pixels) {
        return new Frame("cam-1", "f-1", 10L, "line-1", 2, 1, 1, pixels);
    }

    @Test
    void comparesPixelsByContent() {
        assertThat(frame(new byte[] {1, 2})).isEqualTo(frame(new byte[] {1, 2}))
                .hasSameHashCodeAs(frame(new byte[] {1, 2}))
                .isNotEqualTo(frame(new byte[] {1, 3}));
    }

    @Test
    void printsPixelCountButNotPixels() {
        assertThat(frame(new byte[] {42, 43}).toString())
                .contains("cam-1", "f-1", "2x1x1", "2 bytes")
                .doesNotContain("42");
    }

    @Test
    void isAFlinkPojoWithAGetterAndSetterPerField() throws Exception {
        assertThat(Modifier.isPublic(Frame.class.getConstructor().getModifiers())).isTrue();
        Map<String, PropertyDescriptor> properties = Arrays.stream(
                Introspector.getBeanInfo(Frame.class).getPropertyDescriptors())
                .collect(Collectors.toMap(PropertyDescriptor::getName, Function.identity()));
        for (Field field : Frame.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            PropertyDescriptor property = properties.get(field.getName());
            assertThat(property).as(field.getName()).isNotNull();
            assertThat(property.getReadMethod()).as("getter of " + field.getName()).isNotNull();
            assertThat(property.getWriteMethod()).as("setter of " + field.getName()).isNotNull();
        }
    }

    @Test
    void parsesContentTypesLeniently() {
        assertThat(ContentType.parse(" IMAGE/PNG ")).contains(ContentType.PNG);
        assertThat(ContentType.parse("image/jpeg")).contains(ContentType.JPEG);
        assertThat(ContentType.parse("image/jpg")).isEmpty();
        assertThat(ContentType.parse(null)).isEmpty();
        assertThat(ContentType.RAW_RGB8.isRaw()).isTrue();
        assertThat(ContentType.PNG.isRaw()).isFalse();
    }
}

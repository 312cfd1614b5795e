package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ControlCommandParserTest {

    /** docs/operations.md's example commands, one record per line as kafka-console-producer sends them. */
    @Test
    void everyExampleCommandOfTheOperationsGuideIsAccepted() throws Exception {
        String guide = Files.readString(Path.of("..", "docs", "operations.md"));
        String block = guide.substring(guide.indexOf("```json", guide.indexOf("### Commands")) + "```json".length());
        List<String> lines = block.substring(0, block.indexOf("```")).strip().lines().toList();
        assertThat(lines).hasSizeGreaterThanOrEqualTo(6);
        for (String line : lines) {
            assertThat(ControlCommandParser.parse(line).getBy()).as(line).isEqualTo("alice");
        }
    }

    @Test
    void readsSetWithEverySetting() throws Exception {
        ControlCommand c = ControlCommandParser.parse("""
                {"action": "set", "target": "camera:cam-01", "by": "alice", "image_score": 1.25, "pixel": 1.1,
                 "min_region_area": 20, "debounce": {"k": 2, "n": 3}, "request_id": "T-42", "comment": "glare"}""");
        assertThat(c.getAction()).isEqualTo(ControlAction.SET);
        assertThat(c.getTarget()).isEqualTo("camera:cam-01");
        assertThat(c.getBy()).isEqualTo("alice");
        assertThat(c.getImageScore()).isEqualTo(1.25);
        assertThat(c.getPixel()).isEqualTo(1.1);
        assertThat(c.getMinRegionArea()).isEqualTo(20);
        assertThat(c.getDebounceK()).isEqualTo(2);
        assertThat(c.getDebounceN()).isEqualTo(3);
        assertThat(c.getRequestId()).isEqualTo("T-42");
        assertThat(c.getComment()).isEqualTo("glare");
    }

    @Test
    void readsPartialSetLeavingOtherSettingsUnset() throws Exception {
        ControlCommand c = ControlCommandParser.parse(
                "{\"action\":\"set\",\"target\":\"line:line-1\",\"by\":\"bob\",\"pixel\":2}");
        assertThat(c.getPixel()).isEqualTo(2.0);
        assertThat(c.getImageScore()).isNull();
        assertThat(c.getMinRegionArea()).isNull();
        assertThat(c.getDebounceK()).isNull();
    }

    @Test
    void readsResetOfSomeFieldsAndOfAll() throws Exception {
        ControlCommand some = ControlCommandParser.parse("""
                {"action":"reset","target":"default","by":"ops","fields":["pixel","debounce"]}""");
        assertThat(some.getResetFields()).containsExactly("pixel", "debounce");
        ControlCommand all = ControlCommandParser.parse("{\"action\":\"reset\",\"target\":\"default\",\"by\":\"ops\"}");
        assertThat(all.getResetFields()).isNull();
    }

    @Test
    void readsShowOfAllAndOfACameraOnItsLine() throws Exception {
        assertThat(ControlCommandParser.parse("{\"action\":\"show\",\"target\":\"all\",\"by\":\"ops\"}").targetsAll())
                .isTrue();
        ControlCommand camera = ControlCommandParser.parse(
                "{\"action\":\"show\",\"target\":\"camera:c1\",\"line\":\"line-2\",\"by\":\"ops\"}");
        assertThat(camera.getLine()).isEqualTo("line-2");
    }

    static Stream<Arguments> refusedCommands() {
        return Stream.of(
                Arguments.of("", ControlRejectReason.EMPTY),
                Arguments.of("not json", ControlRejectReason.NOT_JSON),
                Arguments.of("{\"action\":\"set\"", ControlRejectReason.NOT_JSON),
                Arguments.of("[1,2]", ControlRejectReason.NOT_JSON),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"pixel\":1} {}",
                        ControlRejectReason.NOT_JSON),
                Arguments.of("{\"action\":\"set\",\"action\":\"reset\",\"target\":\"default\",\"by\":\"a\"}",
                        ControlRejectReason.NOT_JSON),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"imagescore\":2}",
                        ControlRejectReason.UNKNOWN_FIELD),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"debounce\":{\"k\":1,\"n\":2,"
                        + "\"m\":3}}", ControlRejectReason.UNKNOWN_FIELD),
                Arguments.of("{\"target\":\"default\",\"by\":\"a\",\"pixel\":1}", ControlRejectReason.MISSING_FIELD),
                Arguments.of("{\"action\":\"set\",\"by\":\"a\",\"pixel\":1}", ControlRejectReason.MISSING_FIELD),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"pixel\":1}",
                        ControlRejectReason.MISSING_FIELD),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\"}",
                        ControlRejectReason.MISSING_FIELD),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"debounce\":{\"k\":1}}",
                        ControlRejectReason.MISSING_FIELD),
                Arguments.of("{\"action\":\"delete\",\"target\":\"default\",\"by\":\"a\"}",
                        ControlRejectReason.BAD_ACTION),
                Arguments.of("{\"action\":\"SET\",\"target\":\"default\",\"by\":\"a\",\"pixel\":1}",
                        ControlRejectReason.BAD_ACTION),
                Arguments.of("{\"action\":\"set\",\"target\":\"cam-01\",\"by\":\"a\",\"pixel\":1}",
                        ControlRejectReason.BAD_TARGET),
                Arguments.of("{\"action\":\"set\",\"target\":\"camera:-bad\",\"by\":\"a\",\"pixel\":1}",
                        ControlRejectReason.BAD_TARGET),
                Arguments.of("{\"action\":\"set\",\"target\":\"camera:\",\"by\":\"a\",\"pixel\":1}",
                        ControlRejectReason.BAD_TARGET),
                Arguments.of("{\"action\":\"set\",\"target\":\"camera:a b\",\"by\":\"a\",\"pixel\":1}",
                        ControlRejectReason.BAD_TARGET),
                Arguments.of("{\"action\":\"set\",\"target\":\"all\",\"by\":\"a\",\"pixel\":1}",
                        ControlRejectReason.BAD_TARGET),
                Arguments.of("{\"action\":\"set\",\"target\":7,\"by\":\"a\",\"pixel\":1}",
                        ControlRejectReason.BAD_TARGET),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"image_score\":-1}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"image_score\":0}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"image_score\":NaN}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"pixel\":Infinity}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"pixel\":\"1.2\"}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"pixel\":null}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"min_region_area\":2.5}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"min_region_area\":-3}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"debounce\":{\"k\":3,\"n\":2}}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"debounce\":{\"k\":1,\"n\":65}}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"debounce\":\"2/3\"}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"  \",\"pixel\":1}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"pixel\":1,\"fields\":[\"pixel\"]}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"reset\",\"target\":\"default\",\"by\":\"a\",\"pixel\":1}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"reset\",\"target\":\"default\",\"by\":\"a\",\"fields\":[\"colour\"]}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"reset\",\"target\":\"default\",\"by\":\"a\",\"fields\":[]}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"show\",\"target\":\"line:l1\",\"line\":\"l1\",\"by\":\"a\"}",
                        ControlRejectReason.BAD_VALUE),
                Arguments.of("{\"action\":\"show\",\"target\":\"default\",\"by\":\"a\",\"pixel\":1}",
                        ControlRejectReason.BAD_VALUE));
    }

    @ParameterizedTest
    @MethodSource("refusedCommands")
    void refusesBadCommandNamingTheReason(String json, ControlRejectReason reason) {
        assertThatThrownBy(() -> ControlCommandParser.parse(json))
                .isInstanceOfSatisfying(ControlCommandException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.getMessage()).isNotBlank();
                });
    }

    @Test
    void refusesInvalidUtf8AsNotJson() {
        byte[] bad = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThatThrownBy(() -> ControlCommandParser.parse(bad))
                .isInstanceOfSatisfying(ControlCommandException.class,
                        e -> assertThat(e.reason()).isEqualTo(ControlRejectReason.NOT_JSON));
    }

    /** Only UTF-8 is a command; Jackson alone would also read UTF-16 and UTF-32 (it detects them by their bytes). */
    @ParameterizedTest
    @ValueSource(strings = {"UTF-16LE", "UTF-16BE", "UTF-16", "UTF-32LE"})
    void refusesACommandInAnotherEncodingAsNotJson(String charset) throws Exception {
        String json = "{\"action\":\"set\",\"target\":\"camera:cam-1\",\"by\":\"alice\",\"image_score\":1.3}";
        assertThat(ControlCommandParser.parse(json).getAction()).isNotNull(); // the same text as UTF-8 is fine
        byte[] encoded = json.getBytes(java.nio.charset.Charset.forName(charset));
        assertThatThrownBy(() -> ControlCommandParser.parse(encoded))
                .isInstanceOfSatisfying(ControlCommandException.class,
                        e -> assertThat(e.reason()).isEqualTo(ControlRejectReason.NOT_JSON));
        byte[] withBom = ("\uFEFF" + json).getBytes(StandardCharsets.UTF_8);
        assertThat(ControlCommandParser.parse(withBom).getBy()).isEqualTo("alice"); // a UTF-8 BOM is tolerated
    }

    @Test
    void refusesOversizedRecordBeforeParsing() {
        byte[] big = ("{\"comment\":\"" + "x".repeat(ControlCommandParser.MAX_BYTES) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ControlCommandParser.parse(big))
                .isInstanceOfSatisfying(ControlCommandException.class,
                        e -> assertThat(e.reason()).isEqualTo(ControlRejectReason.OVERSIZED));
    }

    @Test
    void rejectMessageNamesTheOffendingField() {
        assertThatThrownBy(() -> ControlCommandParser.parse(
                "{\"action\":\"set\",\"target\":\"default\",\"by\":\"a\",\"image_score\":-0.5}"))
                .hasMessageContaining("image_score").hasMessageContaining("-0.5");
    }

    @Test
    void textLimitsCountCharactersNotUtf16Units() throws Exception {
        String emoji = "\uD83D\uDD27"; // one character, two UTF-16 units
        String ok = "{\"action\":\"show\",\"target\":\"all\",\"by\":\"" + emoji.repeat(128) + "\",\"comment\":\""
                + emoji.repeat(1000) + "\"}";
        assertThat(ControlCommandParser.parse(ok).getBy()).hasSize(256);
        assertThatThrownBy(() -> ControlCommandParser.parse(
                "{\"action\":\"show\",\"target\":\"all\",\"by\":\"" + emoji.repeat(129) + "\"}"))
                .isInstanceOfSatisfying(ControlCommandException.class,
                        e -> assertThat(e.reason()).isEqualTo(ControlRejectReason.BAD_VALUE))
                .hasMessageContaining("'by' must be at most 128 characters");
    }
}

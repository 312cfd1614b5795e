package io.defectdetector.job.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;

/** docs/configuration.md must list every option with its current default. */
class ConfigurationDocTest {
    private static final Path DOC = Path.of("..", "docs", "configuration.md");

    @Test
    void documentsEveryOptionWithItsDefault() throws Exception {
        List<String> rows = Files.readAllLines(DOC).stream().filter(l -> l.startsWith("| `")).toList();
        for (ConfigOption<?> option : JobOptions.all()) {
            String prefix = "| `" + option.key() + "` |";
            List<String> matching = rows.stream().filter(r -> r.startsWith(prefix)).toList();
            assertThat(matching).as("table row for %s in %s", option.key(), DOC).hasSize(1);
            String defaultCell = matching.get(0).substring(prefix.length()).split("\\|")[0].trim();
            assertThat(defaultCell).as("default of %s", option.key())
                    .isEqualTo("`" + JobOptions.describeDefault(option) + "`");
        }
    }

    @Test
    void documentsKafkaPassThroughProperties() throws Exception {
        String doc = Files.readString(DOC);
        assertThat(doc).contains("`kafka.<property>`").contains("--kafka-property");
    }
}

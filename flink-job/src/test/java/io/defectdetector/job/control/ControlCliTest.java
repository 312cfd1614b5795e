package io.defectdetector.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.defectdetector.job.thresholds.ThresholdsSavepointCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Wrong Kafka settings for the operators' tools: one line and exit code 2, before any broker is contacted. */
class ControlCliTest {
    private static final String COMMAND = "{\"action\":\"show\",\"target\":\"all\",\"by\":\"alice\"}";

    private static int run(CommandLine cli, StringWriter err, String... args) {
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void aMissingKafkaConfigFileIsOneLine(@TempDir Path dir) {
        String missing = dir.resolve("none.properties").toString();
        StringWriter send = new StringWriter();
        assertThat(run(ControlCli.commandLine(), send, "--bootstrap-servers", "127.0.0.1:1", "--kafka-config",
                missing, COMMAND)).isEqualTo(ThresholdsSavepointCli.REFUSED);
        assertThat(send.toString()).startsWith("error: ").contains(missing).doesNotContain("\tat ");

        StringWriter suggest = new StringWriter();
        assertThat(run(ThresholdSuggestCli.commandLine(), suggest, "--bootstrap-servers", "127.0.0.1:1",
                "--kafka-config", missing, "--by", "alice")).isEqualTo(ThresholdsSavepointCli.REFUSED);
        assertThat(suggest.toString()).startsWith("error: ").contains(missing).doesNotContain("\tat ");
    }

    @Test
    void aMalformedKafkaPropertyIsOneLineWithoutItsValue() {
        StringWriter err = new StringWriter();
        assertThat(run(ControlCli.commandLine(), err, "--bootstrap-servers", "127.0.0.1:1", "--kafka-property",
                "sasl.jaas.config", COMMAND)).isEqualTo(ThresholdsSavepointCli.REFUSED);
        assertThat(err.toString()).startsWith("error: ").doesNotContain("\tat ");
        assertThat(err.toString().lines()).hasSize(1);
    }

    @Test
    void noBrokerWithinTheTimeoutIsOneLineAndNothingIsSent() {
        StringWriter err = new StringWriter();
        assertThat(run(ControlCli.commandLine(), err, "--bootstrap-servers", "127.0.0.1:1", "--timeout", "1s",
                COMMAND)).isEqualTo(ThresholdsSavepointCli.FAILED);
        assertThat(err.toString()).isEqualTo("error: no answer from the brokers within 1 s: check "
                + "--bootstrap-servers and that the Kafka settings match the listener (TLS, SASL); nothing was sent"
                + System.lineSeparator());
    }
}

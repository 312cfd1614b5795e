package io.defectdetector.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class BacklogTest {

    @Test
    void aJobThatFellBehindIsNamedWithARateItKeptUpWith() {
        // The 1024x1024 RGB replay: 2000 sent in 40 s, 1144 decided in 76 s.
        Backlog backlog = new Backlog(2000, 1144, 0, 40, 76);

        assertThat(backlog.queued()).isEqualTo(856);
        assertThat(backlog.jobRate()).isCloseTo(15.05, within(0.01));
        assertThat(backlog.sustainableRate()).isEqualTo(12);
        assertThat(backlog.summaryLine()).hasValueSatisfying(line -> assertThat(line)
                .contains("856 of 2000 frames sent were still queued").contains("about 15.1 frames/s")
                .contains("the cameras sent 50.0").contains("--rate 12"));
    }

    @Test
    void rejectedFramesAreHandledNotQueued() {
        Backlog backlog = new Backlog(1000, 900, 100, 10, 20);

        assertThat(backlog.queued()).isZero();
        assertThat(backlog.summaryLine()).isEmpty();
    }

    @Test
    void aFewFramesInFlightAtTheStopAreNotABacklog() {
        assertThat(new Backlog(1000, 995, 0, 10, 20).summaryLine()).isEmpty();
        assertThat(new Backlog(1000, 989, 0, 10, 20).summaryLine()).isPresent();
    }

    @Test
    void theSuggestedRateIsAtLeastOne() {
        assertThat(new Backlog(100, 0, 0, 50, 60).sustainableRate()).isEqualTo(1);
    }
}

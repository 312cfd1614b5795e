package io.defectdetector.job.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {

    @Test
    void releasesBatchWhenItReachesMaxSize() {
        MicroBatcher<String> b = new MicroBatcher<>(3, 100);
        assertThat(b.add("a", 0)).isEmpty();
        assertThat(b.add("b", 1)).isEmpty();
        assertThat(b.add("c", 2)).containsExactly("a", "b", "c");
        assertThat(b.size()).isZero();
        assertThat(b.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void deadlineIsFirstItemArrivalPlusMaxWait() {
        MicroBatcher<String> b = new MicroBatcher<>(10, 100);
        b.add("a", 1_000);
        b.add("b", 1_050);
        assertThat(b.nextDeadline()).isEqualTo(1_100);
        assertThat(b.pollExpired(1_099)).isEmpty();
        assertThat(b.pollExpired(1_100)).containsExactly("a", "b");
        assertThat(b.pollExpired(5_000)).isEmpty();
    }

    @Test
    void newBatchAfterReleaseGetsItsOwnDeadline() {
        MicroBatcher<String> b = new MicroBatcher<>(2, 100);
        b.add("a", 0);
        b.add("b", 10);
        b.add("c", 500);
        assertThat(b.nextDeadline()).isEqualTo(600);
        assertThat(b.pollExpired(100)).isEmpty();
    }

    @Test
    void drainReleasesEverythingAndResets() {
        MicroBatcher<Integer> b = new MicroBatcher<>(5, 100);
        b.add(1, 0);
        b.add(2, 0);
        List<Integer> drained = b.drain();
        assertThat(drained).containsExactly(1, 2);
        assertThat(b.drain()).isEmpty();
        assertThat(b.size()).isZero();
        b.add(3, 7);
        assertThat(drained).containsExactly(1, 2);
        assertThat(b.nextDeadline()).isEqualTo(107);
    }

    @Test
    void zeroWaitReleasesEveryItemAlone() {
        MicroBatcher<String> b = new MicroBatcher<>(8, 0);
        assertThat(b.add("a", 0)).containsExactly("a");
        assertThat(b.add("b", 0)).containsExactly("b");
    }

    @Test
    void sizeOneReleasesImmediately() {
        MicroBatcher<String> b = new MicroBatcher<>(1, 1_000);
        assertThat(b.add("a", 0)).containsExactly("a");
    }

    @Test
    void deadlineSaturatesInsteadOfOverflowing() {
        MicroBatcher<String> b = new MicroBatcher<>(2, Long.MAX_VALUE);
        b.add("a", 1_000);
        assertThat(b.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(b.pollExpired(Long.MAX_VALUE - 1)).isEmpty();
    }

    @Test
    void rejectsInvalidSettings() {
        assertThatThrownBy(() -> new MicroBatcher<>(0, 10)).hasMessageContaining("batch size");
        assertThatThrownBy(() -> new MicroBatcher<>(1, -1)).hasMessageContaining("wait");
    }
}

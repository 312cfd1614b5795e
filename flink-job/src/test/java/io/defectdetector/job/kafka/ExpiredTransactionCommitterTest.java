package io.defectdetector.job.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.Committer.CommitRequest;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class ExpiredTransactionCommitterTest {

    /** Records how the committer settled a request. */
    private static final class Recorded implements CommitRequest<KafkaCommittable> {
        final List<String> calls = new ArrayList<>();

        @Override
        public KafkaCommittable getCommittable() {
            return null;
        }

        @Override
        public int getNumberOfRetries() {
            return 0;
        }

        @Override
        public void signalFailedWithKnownReason(Throwable t) {
            calls.add("known " + t.getClass().getSimpleName());
        }

        @Override
        public void signalFailedWithUnknownReason(Throwable t) {
            calls.add("unknown " + t.getClass().getSimpleName());
        }

        @Override
        public void retryLater() {
            calls.add("retry");
        }

        @Override
        public void updateAndRetryLater(KafkaCommittable committable) {
            calls.add("update");
        }

        @Override
        public void signalAlreadyCommitted() {
            calls.add("committed");
        }
    }

    /** A connector committer that fails every request with {@code failure}, as KafkaCommitter does. */
    private static List<String> outcome(Throwable failure) throws Exception {
        Recorded request = new Recorded();
        Committer<KafkaCommittable> failing = new Committer<>() {
            @Override
            public void commit(Collection<CommitRequest<KafkaCommittable>> requests) {
                requests.forEach(r -> r.signalFailedWithUnknownReason(failure));
            }

            @Override
            public void close() {
            }
        };
        try (ExpiredTransactionCommitter committer = new ExpiredTransactionCommitter(failing)) {
            committer.commit(List.of(request));
        }
        return request.calls;
    }

    @Test
    void aTransactionWhoseProducerIdTheBrokersForgotIsAKnownFailure() throws Exception {
        assertThat(outcome(new InvalidPidMappingException("expired"))).containsExactly(
                "known InvalidPidMappingException");
        assertThat(outcome(new KafkaException("commit failed", new InvalidPidMappingException("expired"))))
                .containsExactly("known KafkaException");
    }

    @Test
    void otherFailuresStillFailTheJob() throws Exception {
        assertThat(outcome(new TimeoutException("slow"))).containsExactly("unknown TimeoutException");
        assertThat(outcome(new IllegalStateException("bug"))).containsExactly("unknown IllegalStateException");
    }
}

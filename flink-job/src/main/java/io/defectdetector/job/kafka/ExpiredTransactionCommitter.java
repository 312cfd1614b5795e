package io.defectdetector.job.kafka;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka sink's committer, with a transaction whose producer id the brokers no longer know treated as lost
 * rather than as a job failure. That happens when a job resumes from a checkpoint or savepoint older than the
 * brokers' transactional.id.expiration.ms (7 days by default), or against other brokers than the ones it wrote to
 * (the demo's fresh local broker). The connector (flink-connector-kafka 5.0.0-2.2) reports it as an unknown
 * failure, so the job failed over, replayed the same commit and failed again, forever (fixed upstream as
 * FLINK-39072 by the same rule). The transaction cannot be committed any more: it was aborted when it timed out,
 * or never existed on these brokers. It is logged as an error naming it, as the connector does for a fenced one.
 */
final class ExpiredTransactionCommitter implements Committer<KafkaCommittable> {
    private static final Logger LOG = LoggerFactory.getLogger(ExpiredTransactionCommitter.class);

    private final Committer<KafkaCommittable> committer;

    ExpiredTransactionCommitter(Committer<KafkaCommittable> committer) {
        this.committer = committer;
    }

    @Override
    public void commit(Collection<CommitRequest<KafkaCommittable>> requests) throws IOException, InterruptedException {
        List<CommitRequest<KafkaCommittable>> wrapped = requests.stream()
                .map(r -> (CommitRequest<KafkaCommittable>) new Request(r)).toList();
        committer.commit(wrapped);
    }

    @Override
    public void close() throws Exception {
        committer.close();
    }

    static boolean expiredProducerId(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InvalidPidMappingException) {
                return true;
            }
        }
        return false;
    }

    private record Request(CommitRequest<KafkaCommittable> request) implements CommitRequest<KafkaCommittable> {
        @Override
        public void signalFailedWithUnknownReason(Throwable failure) {
            if (!expiredProducerId(failure)) {
                request.signalFailedWithUnknownReason(failure);
                return;
            }
            LOG.error("Kafka transaction {} of a checkpoint cannot be committed: the brokers no longer know its "
                    + "producer id (it is older than their transactional.id.expiration.ms, or was written to "
                    + "other brokers), so it was aborted and its records are lost. The job goes on without it: "
                    + "{}", request.getCommittable(), failure.toString());
            request.signalFailedWithKnownReason(failure);
        }

        @Override
        public KafkaCommittable getCommittable() {
            return request.getCommittable();
        }

        @Override
        public int getNumberOfRetries() {
            return request.getNumberOfRetries();
        }

        @Override
        public void signalFailedWithKnownReason(Throwable failure) {
            request.signalFailedWithKnownReason(failure);
        }

        @Override
        public void retryLater() {
            request.retryLater();
        }

        @Override
        public void updateAndRetryLater(KafkaCommittable committable) {
            request.updateAndRetryLater(committable);
        }

        @Override
        public void signalAlreadyCommitted() {
            request.signalAlreadyCommitted();
        }
    }
}

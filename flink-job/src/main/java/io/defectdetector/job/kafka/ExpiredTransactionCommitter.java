package io.defectdetector.job.kafka;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.util.ExceptionUtils;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka sink's committer, with a transaction whose producer id the brokers no longer know treated as a known
 * failure rather than one that fails the job. That happens when a job resumes from a checkpoint or savepoint older
 * than the brokers' transactional.id.expiration.ms (7 days by default), or against other brokers than the ones it
 * wrote to (the demo's fresh local broker). The connector (flink-connector-kafka 5.0.0-2.2) reports it as an
 * unknown failure, so the job failed over, replayed the same commit and failed again, forever. Upstream fixed this
 * in FLINK-39072; this approximates that fix from outside: the connector has already logged its own error and
 * closed the committing producer, and it does not tell the writer's producer pool that the transaction finished,
 * which matters only for a transaction of the running job (one idle producer left), not for restored ones.
 * Whether the records are lost the brokers cannot say: a savepoint's transactions and, usually, a completed
 * checkpoint's were committed before the job stopped, but the commit after a checkpoint is best effort (which is
 * why Flink replays it on restore), and on brokers other than the ones written to (a failover to another cluster)
 * the transaction never existed; one left uncommitted was aborted once kafka-transaction-timeout passed.
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
        return ExceptionUtils.findThrowable(failure, InvalidPidMappingException.class).isPresent();
    }

    private record Request(CommitRequest<KafkaCommittable> request) implements CommitRequest<KafkaCommittable> {
        @Override
        public void signalFailedWithUnknownReason(Throwable failure) {
            if (!expiredProducerId(failure)) {
                request.signalFailedWithUnknownReason(failure);
                return;
            }
            LOG.warn("Kafka transaction {} of a restored checkpoint cannot be confirmed: the brokers no longer know "
                    + "its producer id (older than their transactional.id.expiration.ms, or written to other "
                    + "brokers). Usually it was committed before the job stopped (a savepoint's always is); if "
                    + "the job failed right after that checkpoint, or these are other brokers than the ones it "
                    + "wrote to, that checkpoint's output may be missing (aborted when kafka-transaction-timeout "
                    + "passed). The job goes on: {}",
                    request.getCommittable(), failure.toString());
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

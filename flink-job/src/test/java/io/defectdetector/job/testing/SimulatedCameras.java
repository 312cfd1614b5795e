package io.defectdetector.job.testing;

import io.defectdetector.factory.camera.CameraSimulator;
import io.defectdetector.factory.camera.GroundTruth;
import io.defectdetector.factory.camera.SimulationReport;
import io.defectdetector.factory.camera.SimulatorConfig;
import io.defectdetector.frame.KafkaClientSettings;
import io.defectdetector.kafka.LocalKafkaBroker;
import java.util.concurrent.CompletableFuture;

/** synthetic-factory's camera simulator publishing to the test broker on a background thread, with ground truth. */
public final class SimulatedCameras {
    private final CameraSimulator simulator;
    private final GroundTruth truth = GroundTruth.inMemory();
    private CompletableFuture<SimulationReport> run;

    public SimulatedCameras(SimulatorConfig config) {
        this.simulator = new CameraSimulator(config);
        // Render the image pools now, so the paced run starts at once.
        simulator.prepare(Runtime.getRuntime().availableProcessors());
    }

    public SimulatedCameras start(LocalKafkaBroker broker) {
        KafkaClientSettings kafka = KafkaClientSettings.of(java.util.Map.of("bootstrap.servers",
                broker.bootstrapServers()));
        run = CompletableFuture.supplyAsync(() -> simulator.run(kafka, truth, sent -> { }));
        return this;
    }

    /** Waits for the simulator to send and have acknowledged every frame. */
    public SimulationReport await() {
        return run.join();
    }

    public GroundTruth truth() {
        return truth;
    }

    public CameraSimulator simulator() {
        return simulator;
    }
}

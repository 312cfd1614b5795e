package io.defectdetector.job.inference;

import io.defectdetector.job.model.ModelBundle;
import java.io.Serializable;

/** Opens an engine inside a subtask; serializable because the operator carries it to the TaskManagers. */
@FunctionalInterface
public interface InferenceEngineFactory extends Serializable {

    InferenceEngine open(ModelBundle model, InferenceSettings settings) throws Exception;
}

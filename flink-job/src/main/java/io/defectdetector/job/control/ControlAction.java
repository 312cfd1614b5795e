package io.defectdetector.job.control;

/** What a control command does; the JSON form is the lower-case name. */
public enum ControlAction {
    /** Sets some settings of one target (the others keep their value). */
    SET,
    /** Removes some settings of one target, or all of them, so the less specific level applies again. */
    RESET,
    /** Changes nothing; writes the stored and effective settings to the audit topic. */
    SHOW;

    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

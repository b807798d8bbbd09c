package io.watchkeeper.insight;

/**
 * What is wrong with a pod: a reason (one of the constants, also the Event reason and the metric label) and a message a
 * person can act on.
 */
public record PodProblem(String reason, String message) {

    public static final String CRASH_LOOP_BACK_OFF = "CrashLoopBackOff";
    public static final String OOM_KILLED = "OOMKilled";
    /** Both {@code ImagePullBackOff} and {@code ErrImagePull}: the kubelet alternates between them. */
    public static final String IMAGE_PULL_BACK_OFF = "ImagePullBackOff";
    public static final String EVICTED = "Evicted";
    public static final String UNSCHEDULABLE = "Unschedulable";
    public static final String PENDING_TOO_LONG = "PendingTooLong";
    public static final String TOO_MANY_RESTARTS = "TooManyRestarts";
    /** The Event reason when a pod's problem goes away. */
    public static final String RECOVERED = "Recovered";
}

package io.watchkeeper.web;

/** An HTTP error answered as a Kubernetes {@code Status} object. */
public class ApiException extends RuntimeException {

    private final int code;
    private final String reason;
    private final Integer retryAfterSeconds;

    public ApiException(int code, String reason, String message) {
        this(code, reason, message, null);
    }

    public ApiException(int code, String reason, String message, Integer retryAfterSeconds) {
        super(message);
        this.code = code;
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}

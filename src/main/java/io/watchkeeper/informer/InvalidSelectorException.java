package io.watchkeeper.informer;

/** A label or field selector that does not parse; the message says what is wrong and where. */
public class InvalidSelectorException extends Exception {
    public InvalidSelectorException(String message) {
        super(message);
    }
}

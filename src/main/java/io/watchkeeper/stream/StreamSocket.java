package io.watchkeeper.stream;

import java.util.concurrent.CompletionStage;

import jakarta.inject.Inject;

import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;

/**
 * {@code WS /api/v1alpha1/stream}: one socket, many subscriptions. The protocol lives in {@link StreamService}; this
 * only connects it to Quarkus WebSockets Next. Nothing a client sends is logged (its first message carries a token).
 */
@WebSocket(path = "/api/v1alpha1/stream")
public class StreamSocket {

    @Inject
    StreamService service;

    @OnOpen
    void open(WebSocketConnection connection) {
        service.opened(connection.id(), host(connection.handshakeRequest().remoteAddress()), new StreamClient.Transport() {
            @Override
            public CompletionStage<Void> send(String text) {
                return connection.sendText(text).subscribeAsCompletionStage();
            }

            @Override
            public void close(int code, String reason) {
                connection.close(new CloseReason(code, reason)).subscribe().with(v -> {
                }, t -> {
                });
            }
        });
    }

    @OnTextMessage
    void message(WebSocketConnection connection, String text) {
        service.received(connection.id(), text);
    }

    /** The host part of the peer's {@code host:port}. */
    static String host(String address) {
        if (address == null) {
            return "";
        }
        int colon = address.lastIndexOf(':');
        return colon > 0 ? address.substring(0, colon) : address;
    }

    @OnClose
    void close(WebSocketConnection connection) {
        service.closed(connection.id());
    }
}

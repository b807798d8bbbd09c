package io.watchkeeper.informer;

import java.nio.file.Files;
import java.nio.file.Path;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;

/**
 * The benchmark's transport floor: a process that answers every GET on 127.0.0.1 with the same bytes (a file read
 * once) through Vert.x, as the operator's HTTP server is, and does nothing else. What a read of those bytes costs
 * from another process is what no work in the operator can take away. Args: the file, the port. Prints "listening".
 */
public final class BytesServer {

    private BytesServer() {
    }

    public static void main(String[] args) throws Exception {
        Buffer body = Buffer.buffer(Files.readAllBytes(Path.of(args[0])));
        Vertx vertx = Vertx.vertx();
        vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(Integer.parseInt(args[1])))
                .requestHandler(r -> r.response().putHeader("content-type", "application/json").end(body))
                .listen().toCompletionStage().toCompletableFuture().get();
        System.out.println("listening");
    }
}

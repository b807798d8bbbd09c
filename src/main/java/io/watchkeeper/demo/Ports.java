package io.watchkeeper.demo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for the servers the demo and the tests start (etcd, the API server, the operator, Prometheus...).
 * <p>
 * A port the kernel hands out for {@code bind(0)} lies in the ephemeral range, which every outgoing connection of
 * every process also draws its local port from: between choosing such a port and the server binding it, a client
 * connection may take it, and the server exits with "address already in use". The ports given here lie below that
 * range (and above the well-known ports Kubernetes' own components use), are free on every address when chosen, and
 * are never given twice by this JVM.
 */
public final class Ports {

    private static final int LOWEST = 20_000;
    private static final Set<Integer> GIVEN = new HashSet<>();

    private Ports() {
    }

    /** A port free on every address now, outside the ephemeral range, not given before by this JVM. */
    public static synchronized int free() throws IOException {
        int below = ephemeralRangeStart();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
            if (!GIVEN.contains(port) && bindable(port)) {
                GIVEN.add(port);
                return port;
            }
        }
        throw new IOException("No free port between " + LOWEST + " and " + below);
    }

    private static boolean bindable(int port) {
        for (InetAddress address : new InetAddress[] { InetAddress.getLoopbackAddress(), null }) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port));
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** The first port of {@code net.ipv4.ip_local_port_range} (32768 by default). */
    private static int ephemeralRangeStart() {
        try {
            String range = ProcFiles.read(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
            int start = Integer.parseInt(range.split("\\s+")[0]);
            return start > LOWEST + 1000 ? start : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}

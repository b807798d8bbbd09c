package io.watchkeeper.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class PortsTest {

    @Test
    void shouldGiveDistinctBindablePortsThatNoOutgoingConnectionCanTake() throws Exception {
        int ephemeralStart = Integer.parseInt(ProcFiles.read(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).split("\\s+")[0]);
        Set<Integer> given = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            int port = Ports.free();
            assertThat(port).isBetween(20_000, ephemeralStart - 1);
            assertThat(given.add(port)).as("port %d given twice", port).isTrue();
        }
        int port = Ports.free();
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertThat(s.getLocalPort()).isEqualTo(port);
        }
    }
}

package io.watchkeeper.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the kernel's files under {@code /proc}. */
final class ProcFiles {

    private ProcFiles() {
    }

    /**
     * The file's content, trimmed. Not {@code Files.readString}: it trusts the size a file reports, and on some kernels
     * a {@code /proc/sys} file reports less than it holds ({@code ip_local_port_range} was read as "3").
     */
    static String read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }
}

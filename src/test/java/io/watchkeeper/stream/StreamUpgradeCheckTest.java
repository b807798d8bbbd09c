package io.watchkeeper.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which pages may open the stream: the operator's own origin, by host and port, whatever the scheme's default port. */
class StreamUpgradeCheckTest {

    @ParameterizedTest
    @CsvSource({
            "http://localhost:8080, localhost:8080, true",
            "http://LOCALHOST:8080, localhost:8080, true",
            "https://wk.example.com, wk.example.com, true",
            "https://wk.example.com:443, wk.example.com, true",
            "http://wk.example.com, wk.example.com:80, true",
            "http://localhost:9999, localhost:8080, false",
            "http://localhost:8080, localhost, false",
            "https://evil.example, localhost:8080, false",
            "https://wk.example.com.evil.example, wk.example.com, false",
            "null, localhost:8080, false",
            "'', localhost:8080, false",
            "http://localhost:8080, '', false" })
    void shouldLetOnlyTheOperatorsOwnPagesIn(String origin, String host, boolean allowed) {
        assertThat(StreamUpgradeCheck.sameSite(origin, host)).isEqualTo(allowed);
    }
}

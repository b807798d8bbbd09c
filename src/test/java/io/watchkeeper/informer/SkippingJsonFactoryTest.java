package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/** The byte-scanning {@code skipChildren} of {@link SkippingJsonFactory}: it must end where Jackson's own does. */
class SkippingJsonFactoryTest {

    /** Values to skip: brackets and quotes inside strings, escapes, nesting, nothing but whitespace between. */
    private static final List<String> SKIPPED = List.of(
            "{}",
            "[]",
            "[1,2.5e3,true,false,null,\"x\"]",
            "{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"k:{\\\"name\\\":\\\"app\\\"}\":{\"f:image\":{}}}",
            "[{\"a\":\"]}\"},{\"b\":\"[{\"},\"\\\\\",\"\\\\\\\"]\",\"\\u005d\"]",
            "{\"deep\":" + "[".repeat(80) + "\"bottom\"" + "]".repeat(80) + "}",
            "{ \"spaced\" :\n [ 1 ,\n { \"x\" : \"y\\n\" } ]\n }");

    @Test
    void shouldEndWhereJacksonsOwnSkipEnds() throws IOException {
        for (String skipped : SKIPPED) {
            String json = "{\"before\":1,\"skipped\":" + skipped + ",\"after\":{\"name\":\"pod-1\",\"n\":[7]}}";
            assertThat(tokensAfterSkip(new SkippingJsonFactory(), json, false)).as(skipped)
                    .isEqualTo(tokensAfterSkip(new JsonFactory(), json, false))
                    .contains("FIELD_NAME after", "VALUE_STRING pod-1");
            assertThat(tokensAfterSkip(new SkippingJsonFactory(), json, true)).as(skipped + ", read one byte at a time")
                    .isEqualTo(tokensAfterSkip(new JsonFactory(), json, false));
        }
    }

    @Test
    void shouldUseTheScanningParserForByteStreams() throws IOException {
        try (JsonParser p = new SkippingJsonFactory().createParser(stream("{}", false))) {
            assertThat(p).isInstanceOf(SkippingJsonFactory.Parser.class);
        }
    }

    @Test
    void shouldRefuseBracketsThatDoNotMatch() {
        assertThatThrownBy(() -> tokensAfterSkip(new SkippingJsonFactory(), "{\"skipped\":[{\"a\":1]],\"after\":1}", false))
                .isInstanceOf(JsonParseException.class).hasMessageContaining("Unexpected close marker ']'");
        assertThatThrownBy(() -> tokensAfterSkip(new SkippingJsonFactory(), "{\"skipped\":{\"a\":[1}}", false))
                .isInstanceOf(JsonParseException.class).hasMessageContaining("Unexpected close marker '}'");
    }

    @Test
    void shouldRefuseAValueCutShort() {
        assertThatThrownBy(() -> tokensAfterSkip(new SkippingJsonFactory(), "{\"skipped\":{\"a\":[1,{\"b\":\"}]}", true))
                .isInstanceOf(JsonParseException.class).hasMessageContaining("end-of-input");
    }

    @Test
    void shouldCountLinesItSkips() throws IOException {
        String json = "{\"skipped\":{\n\"a\":\n[1,\n2]},\n\"after\":true}";
        for (JsonFactory factory : List.of(new SkippingJsonFactory(), new JsonFactory())) {
            try (JsonParser p = factory.createParser(stream(json, false))) {
                p.nextToken();
                p.nextToken();
                p.nextToken();
                p.skipChildren();
                assertThat(p.nextToken()).isEqualTo(JsonToken.FIELD_NAME);
                assertThat(p.currentTokenLocation().getLineNr()).as(factory.getClass().getSimpleName()).isEqualTo(5);
            }
        }
    }

    /** Every token after the value of {@code "skipped"}, skipped with {@code skipChildren}. */
    private static List<String> tokensAfterSkip(JsonFactory factory, String json, boolean byteByByte) throws IOException {
        List<String> tokens = new ArrayList<>();
        try (JsonParser p = factory.createParser(stream(json, byteByByte))) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME && p.currentName().equals("skipped")) {
                    p.nextToken();
                    p.skipChildren();
                    tokens.add("skipped to " + p.currentToken() + " in " + p.getParsingContext().typeDesc());
                    continue;
                }
                tokens.add(t + (t.isScalarValue() || t == JsonToken.FIELD_NAME ? " " + p.getText() : ""));
            }
        }
        return tokens;
    }

    private static InputStream stream(String json, boolean byteByByte) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, byteByByte ? Math.min(len, 1) : len);
            }
        };
    }
}

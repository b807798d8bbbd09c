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
    void shouldLeaveSkippingToJacksonWhereCommentsOrSingleQuotesMayHideBrackets() throws IOException {
        String json = "{\"skipped\":{'a':'}]', /* ] */ \"b\":[1] # ]\n},\"after\":{\"name\":\"pod-1\"}}";
        java.util.function.Supplier<JsonFactory> jackson = () -> JsonFactory.builder()
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_SINGLE_QUOTES)
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_JAVA_COMMENTS)
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_YAML_COMMENTS).build();
        assertThat(tokensAfterSkip(new SkippingJsonFactory(jackson.get()), json, false)).isEqualTo(tokensAfterSkip(jackson.get(), json, false))
                .contains("VALUE_STRING pod-1");
    }

    @Test
    void shouldKeepTheNestingLimitInsideSkippedValues() {
        com.fasterxml.jackson.core.StreamReadConstraints limit = com.fasterxml.jackson.core.StreamReadConstraints.builder().maxNestingDepth(10).build();
        String json = "{\"skipped\":" + "[".repeat(12) + "]".repeat(12) + "}";
        for (JsonFactory factory : List.of(new SkippingJsonFactory(JsonFactory.builder().streamReadConstraints(limit).build()),
                JsonFactory.builder().streamReadConstraints(limit).build())) {
            assertThatThrownBy(() -> tokensAfterSkip(factory, json, false)).as(factory.getClass().getSimpleName())
                    .isInstanceOf(com.fasterxml.jackson.core.exc.StreamConstraintsException.class).hasMessageContaining("(11)");
        }
        String within = "{\"skipped\":" + "[".repeat(9) + "]".repeat(9) + ",\"after\":1}";
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> tokensAfterSkip(new SkippingJsonFactory(
                JsonFactory.builder().streamReadConstraints(limit).build()), within, false))).isNull();
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
                    com.fasterxml.jackson.core.JsonLocation at = p.currentTokenLocation();
                    tokens.add("skipped to " + p.currentToken() + " in " + p.getParsingContext().typeDesc() + " at byte "
                            + at.getByteOffset() + ", line " + at.getLineNr() + ", column " + at.getColumnNr());
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

package io.watchkeeper.informer;

import java.io.IOException;
import java.io.InputStream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import com.fasterxml.jackson.core.sym.ByteQuadsCanonicalizer;

/**
 * A JSON factory whose parsers of byte streams skip what nobody reads ({@link JsonParser#skipChildren}: an ignored
 * property such as {@code metadata.managedFields}, an unknown one) by scanning bytes for the matching bracket, instead
 * of tokenizing it. Jackson's own skip decodes every field name it passes and looks it up in its symbol table; a pod's
 * {@code managedFields} are about 40% of its JSON and made of little else ({@code "f:containerPort":{}} ...), so
 * skipping them was half the time spent parsing a list of pods.
 * <p>
 * The skipped bytes are checked only for what the scan needs: strings and their escapes, and brackets that close in
 * the right order. The rest of the document is parsed as by Jackson's own UTF-8 parser (this factory's parsers are that
 * parser), and the nesting limit of its {@link com.fasterxml.jackson.core.StreamReadConstraints} holds inside skipped
 * values too. Where comments or single-quoted strings are allowed, Jackson's own skip is used. Byte streams are read as
 * UTF-8, without looking for another encoding's byte order mark: JSON exchanged between systems is UTF-8 (RFC 8259), and
 * the API server's always is.
 */
final class SkippingJsonFactory extends JsonFactory {

    private static final long serialVersionUID = 1L;

    SkippingJsonFactory() {
    }

    /** A factory with the settings of {@code base} (features, limits), whose parsers of byte streams skip by scanning. */
    SkippingJsonFactory(JsonFactory base) {
        super(base, null);
    }

    @Override
    public JsonFactory copy() {
        return new SkippingJsonFactory(this);
    }

    @Override
    protected JsonParser _createParser(InputStream in, IOContext ctxt) throws IOException {
        if (!isEnabled(Feature.CANONICALIZE_FIELD_NAMES)) {
            return super._createParser(in, ctxt); // Jackson would pick another parser: let it
        }
        return new Parser(ctxt, _parserFeatures, in, _objectCodec, _byteSymbolCanonicalizer.makeChild(_factoryFeatures),
                ctxt.allocReadIOBuffer());
    }

    /** Jackson's UTF-8 stream parser, with a {@link #skipChildren} that scans bytes. */
    static final class Parser extends UTF8StreamJsonParser {

        Parser(IOContext ctxt, int features, InputStream in, ObjectCodec codec, ByteQuadsCanonicalizer symbols, byte[] buffer) {
            super(ctxt, features, in, codec, symbols, buffer, 0, 0, 0, true);
        }

        /** Features under which brackets may hide where the scan does not look (comments, single-quoted strings). */
        private static final int LENIENT = JsonParser.Feature.ALLOW_COMMENTS.getMask() | JsonParser.Feature.ALLOW_YAML_COMMENTS.getMask()
                | JsonParser.Feature.ALLOW_SINGLE_QUOTES.getMask();

        @Override
        public JsonParser skipChildren() throws IOException {
            JsonToken open = _currToken;
            if (open != JsonToken.START_OBJECT && open != JsonToken.START_ARRAY) {
                return this;
            }
            if ((_features & LENIENT) != 0) {
                return super.skipChildren(); // Jackson's own, which knows them
            }
            // the levels the skipped value may open, within the nesting limit (its own level is counted already)
            final int deepest = _streamReadConstraints.getMaxNestingDepth() - _parsingContext.getNestingDepth() + 1;
            // the bracket that opened each level, one bit per level, innermost lowest (deeper than 64: only counted)
            long opened = open == JsonToken.START_OBJECT ? 1 : 0;
            int depth = 1;
            boolean inString = false;
            boolean escaped = false;
            while (true) {
                if (_inputPtr >= _inputEnd && !_loadMore()) {
                    _reportInvalidEOF(": inside a skipped value", open);
                }
                final byte[] b = _inputBuffer;
                final int end = _inputEnd;
                for (int i = _inputPtr; i < end; i++) {
                    byte c = b[i];
                    if (inString) {
                        if (escaped) {
                            escaped = false;
                        } else if (c == '\\') {
                            escaped = true;
                        } else if (c == '"') {
                            inString = false;
                        }
                        continue;
                    }
                    switch (c) {
                        case '"' -> inString = true;
                        case '{', '[' -> {
                            if (depth < 64) {
                                opened = opened << 1 | (c == '{' ? 1 : 0);
                            }
                            if (++depth > deepest) {
                                _inputPtr = i;
                                _streamReadConstraints.validateNestingDepth(_parsingContext.getNestingDepth() + depth - 1);
                            }
                        }
                        case '}', ']' -> {
                            boolean object = c == '}';
                            if (depth <= 64) {
                                if (((opened & 1) == 1) != object) {
                                    _inputPtr = i;
                                    _reportMismatchedEndMarker(c, object ? ']' : '}');
                                }
                                opened >>>= 1;
                            }
                            if (--depth == 0) {
                                _inputPtr = i + 1; // where Jackson leaves a closing bracket's location, too
                                _tokenInputRow = _currInputRow;
                                _tokenInputTotal = _currInputProcessed + _inputPtr;
                                _tokenInputCol = _inputPtr - _currInputRowStart;
                                _parsingContext = _parsingContext.clearAndGetParent();
                                _currToken = object ? JsonToken.END_OBJECT : JsonToken.END_ARRAY;
                                return this;
                            }
                        }
                        case '\n' -> {
                            _currInputRow++;
                            _currInputRowStart = i + 1;
                        }
                        default -> {
                        }
                    }
                }
                _inputPtr = end;
            }
        }
    }
}

package io.watchkeeper.informer;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Field selectors ({@code status.phase!=Succeeded,metadata.name=web}): parsed and canonicalised here; whether a field
 * is supported for a resource only the API server knows, so an unsupported field surfaces when the informer lists.
 */
public final class FieldSelectors {

    private static final Pattern FIELD = Pattern.compile("[A-Za-z0-9_.\\[\\]-]+");

    private FieldSelectors() {
    }

    public record Term(String field, boolean equals, String value) implements Comparable<Term> {
        @Override
        public String toString() {
            return field + (equals ? "=" : "!=") + value;
        }

        @Override
        public int compareTo(Term o) {
            return toString().compareTo(o.toString());
        }
    }

    public record FieldSelector(List<Term> terms) {
        public static final FieldSelector EVERYTHING = new FieldSelector(List.of());

        public boolean isEmpty() {
            return terms.isEmpty();
        }

        @Override
        public String toString() {
            return String.join(",", terms.stream().map(Term::toString).toList());
        }
    }

    public static FieldSelector parse(String text) throws InvalidSelectorException {
        if (text == null || text.isBlank()) {
            return FieldSelector.EVERYTHING;
        }
        TreeSet<Term> terms = new TreeSet<>();
        for (String raw : text.split(",", -1)) {
            String t = raw.trim();
            Term term;
            if (t.contains("!=")) {
                String[] kv = t.split("!=", 2);
                term = new Term(kv[0].trim(), false, kv[1].trim());
            } else if (t.contains("==")) {
                String[] kv = t.split("==", 2);
                term = new Term(kv[0].trim(), true, kv[1].trim());
            } else if (t.contains("=")) {
                String[] kv = t.split("=", 2);
                term = new Term(kv[0].trim(), true, kv[1].trim());
            } else {
                throw new InvalidSelectorException("fieldSelector term '" + t + "' in '" + text
                        + "' is not of the form field=value, field==value or field!=value");
            }
            if (!FIELD.matcher(term.field()).matches()) {
                throw new InvalidSelectorException("fieldSelector term '" + t + "' in '" + text + "' has no valid field name");
            }
            terms.add(term);
        }
        return new FieldSelector(new ArrayList<>(terms));
    }
}

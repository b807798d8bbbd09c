package io.watchkeeper.informer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;

/**
 * Label selectors in the Kubernetes string syntax: validation, a canonical form (two selectors that mean the same
 * thing share one informer) and matching, for selectors written as a {@link LabelSelector} or as a
 * {@code labelSelector=} query string ({@code app=web,tier in (a,b),!legacy}).
 */
public final class LabelSelectors {

    private static final Pattern NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern SET_TERM = Pattern.compile("^(\\S+)\\s+(in|notin)\\s*\\((.*)\\)$");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private LabelSelectors() {
    }

    /** One requirement: {@code key op values}. */
    public record Requirement(String key, Op op, List<String> values) implements Comparable<Requirement> {
        public boolean matches(Map<String, String> labels) {
            String v = labels == null ? null : labels.get(key);
            return switch (op) {
                case EQUALS, IN -> v != null && values.contains(v);
                case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
                case EXISTS -> v != null;
                case DOES_NOT_EXIST -> v == null;
            };
        }

        @Override
        public String toString() {
            return switch (op) {
                case EQUALS -> key + "=" + values.get(0);
                case NOT_EQUALS -> key + "!=" + values.get(0);
                case IN -> key + " in (" + String.join(",", values) + ")";
                case NOT_IN -> key + " notin (" + String.join(",", values) + ")";
                case EXISTS -> key;
                case DOES_NOT_EXIST -> "!" + key;
            };
        }

        @Override
        public int compareTo(Requirement o) {
            return toString().compareTo(o.toString());
        }
    }

    public enum Op {
        EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, DOES_NOT_EXIST
    }

    /** A parsed selector; empty matches everything. */
    public record Selector(List<Requirement> requirements) implements Predicate<Map<String, String>> {
        public static final Selector EVERYTHING = new Selector(List.of());

        @Override
        public boolean test(Map<String, String> labels) {
            for (Requirement r : requirements) { // no stream: run for every candidate of every cache read
                if (!r.matches(labels)) {
                    return false;
                }
            }
            return true;
        }

        public boolean isEmpty() {
            return requirements.isEmpty();
        }

        /** Canonical string: requirements sorted, {@code in} values sorted, single-value {@code in} as {@code =}. */
        @Override
        public String toString() {
            return String.join(",", requirements.stream().map(Requirement::toString).toList());
        }
    }

    /** Validates and canonicalises a {@link LabelSelector}; {@code null} or empty selects everything. */
    public static Selector of(LabelSelector selector) throws InvalidSelectorException {
        if (selector == null) {
            return Selector.EVERYTHING;
        }
        List<Requirement> reqs = new ArrayList<>();
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
                reqs.add(requirement(e.getKey(), Op.EQUALS, List.of(e.getValue() == null ? "" : e.getValue())));
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String operator = r.getOperator() == null ? "" : r.getOperator();
                Op op = switch (operator) {
                    case "In" -> Op.IN;
                    case "NotIn" -> Op.NOT_IN;
                    case "Exists" -> Op.EXISTS;
                    case "DoesNotExist" -> Op.DOES_NOT_EXIST;
                    default -> throw new InvalidSelectorException("selector.matchExpressions: operator '" + operator
                            + "' for key '" + r.getKey() + "' is not one of In, NotIn, Exists, DoesNotExist");
                };
                List<String> values = r.getValues() == null ? List.of() : r.getValues();
                reqs.add(requirement(r.getKey(), op, values));
            }
        }
        return normalised(reqs);
    }

    /**
     * The selector of a Service or ReplicationController ({@code spec.selector}): every label equal; validated by
     * the API server already. Empty selects everything.
     */
    public static Selector equalTo(Map<String, String> labels) {
        List<Requirement> reqs = new ArrayList<>();
        labels.forEach((k, v) -> reqs.add(new Requirement(k, Op.EQUALS, List.of(v == null ? "" : v))));
        return normalised(reqs);
    }

    /** Parses the Kubernetes string syntax; blank selects everything. */
    public static Selector parse(String text) throws InvalidSelectorException {
        if (text == null || text.isBlank()) {
            return Selector.EVERYTHING;
        }
        List<Requirement> reqs = new ArrayList<>();
        for (String term : splitTopLevel(text)) {
            String t = term.trim();
            if (t.isEmpty()) {
                throw new InvalidSelectorException("label selector '" + text + "' has an empty term");
            }
            java.util.regex.Matcher set = SET_TERM.matcher(t);
            if (set.matches()) {
                List<String> values = new ArrayList<>();
                if (set.group(3).isBlank()) {
                    throw new InvalidSelectorException("label selector: '" + set.group(1) + " " + set.group(2) + " ()' needs at least one value");
                }
                for (String v : set.group(3).split(",", -1)) {
                    values.add(v.trim());
                }
                reqs.add(requirement(set.group(1), set.group(2).equals("in") ? Op.IN : Op.NOT_IN, values));
            } else if (t.startsWith("!")) {
                reqs.add(requirement(t.substring(1).trim(), Op.DOES_NOT_EXIST, List.of()));
            } else if (t.contains("!=")) {
                String[] kv = t.split("!=", 2);
                reqs.add(requirement(kv[0].trim(), Op.NOT_EQUALS, List.of(kv[1].trim())));
            } else if (t.contains("==")) {
                String[] kv = t.split("==", 2);
                reqs.add(requirement(kv[0].trim(), Op.EQUALS, List.of(kv[1].trim())));
            } else if (t.contains("=")) {
                String[] kv = t.split("=", 2);
                reqs.add(requirement(kv[0].trim(), Op.EQUALS, List.of(kv[1].trim())));
            } else {
                reqs.add(requirement(t, Op.EXISTS, List.of()));
            }
        }
        return normalised(reqs);
    }

    private static Selector normalised(List<Requirement> reqs) {
        return new Selector(new ArrayList<>(new TreeSet<>(reqs)));
    }

    private static List<String> splitTopLevel(String text) throws InvalidSelectorException {
        int depth = 0;
        for (int i = 0; i < text.length(); i++) {
            depth += text.charAt(i) == '(' ? 1 : text.charAt(i) == ')' ? -1 : 0;
            if (depth < 0 || depth > 1) {
                throw new InvalidSelectorException("label selector '" + text + "' has unbalanced parentheses");
            }
        }
        if (depth != 0) {
            throw new InvalidSelectorException("label selector '" + text + "' has unbalanced parentheses");
        }
        return terms(text);
    }

    /** Splits a selector at its top-level commas, leaving those inside {@code in (a,b)} alone. */
    static List<String> terms(String text) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(text.substring(start));
        return parts;
    }

    private static Requirement requirement(String key, Op op, List<String> values) throws InvalidSelectorException {
        validateKey(key);
        switch (op) {
            case IN, NOT_IN -> {
                if (values.isEmpty()) {
                    throw new InvalidSelectorException("label selector: '" + key + "' with " + op.name().toLowerCase().replace('_', ' ')
                            + " needs at least one value");
                }
            }
            case EXISTS, DOES_NOT_EXIST -> {
                if (!values.isEmpty()) {
                    throw new InvalidSelectorException("label selector: '" + key + "' with Exists/DoesNotExist takes no values");
                }
            }
            default -> {
            }
        }
        for (String v : values) {
            validateValue(key, v);
        }
        List<String> sorted = new ArrayList<>(new TreeSet<>(values));
        if (op == Op.IN && sorted.size() == 1) {
            op = Op.EQUALS;
        } else if (op == Op.NOT_IN && sorted.size() == 1) {
            op = Op.NOT_EQUALS;
        }
        return new Requirement(key, op, List.copyOf(sorted));
    }

    private static void validateKey(String key) throws InvalidSelectorException {
        if (key == null || key.isEmpty()) {
            throw new InvalidSelectorException("label selector: a label key is empty");
        }
        String name = key;
        int slash = key.indexOf('/');
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            name = key.substring(slash + 1);
            if (prefix.isEmpty() || prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
                throw new InvalidSelectorException("label selector: key '" + key + "' has an invalid prefix (must be a DNS subdomain)");
            }
        }
        if (name.isEmpty() || name.length() > 63 || !NAME.matcher(name).matches()) {
            throw new InvalidSelectorException("label selector: key '" + key + "' is not a valid label name (at most 63 characters: "
                    + "letters, digits, '-', '_', '.', starting and ending with a letter or digit)");
        }
    }

    private static void validateValue(String key, String value) throws InvalidSelectorException {
        if (!value.isEmpty() && (value.length() > 63 || !NAME.matcher(value).matches())) {
            throw new InvalidSelectorException("label selector: value '" + value + "' for key '" + key + "' is not a valid label value "
                    + "(at most 63 characters: letters, digits, '-', '_', '.', starting and ending with a letter or digit)");
        }
    }
}

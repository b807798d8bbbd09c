package io.watchkeeper.informer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The resourceVersion Watchkeeper hands to readers of a watch: where they are on each of the watch's informers'
 * {@link Timeline}s, as {@code epoch:seq} per informer (in {@link #order key order}), joined by commas. Opaque to
 * clients: they pass it back to resume. A token is only ever good for the informers that issued it, in the epoch that
 * issued it; anything else (another watch's token, one from before a relist or an operator restart, a made-up number)
 * decodes to nothing resumable.
 */
public final class ResumeToken {

    private ResumeToken() {
    }

    /** The order in which a watch's informers appear in its tokens. */
    public static List<InformerKey> order(Collection<InformerKey> keys) {
        return keys.stream().sorted(Comparator.comparing(InformerKey::toString)).toList();
    }

    public static String encode(List<Timeline.Position> positions) {
        StringBuilder sb = new StringBuilder(24 * positions.size()); // once per change per stream client: no stream
        for (Timeline.Position p : positions) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(p.epoch()).append(':').append(p.seq());
        }
        return sb.toString();
    }

    /** The positions in {@code token}, when it holds exactly {@code informers} well-formed ones. */
    public static Optional<List<Timeline.Position>> decode(String token, int informers) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        String[] parts = token.split(",", -1);
        if (parts.length != informers) {
            return Optional.empty();
        }
        List<Timeline.Position> out = new ArrayList<>(parts.length);
        for (String part : parts) {
            int colon = part.indexOf(':');
            if (colon <= 0) {
                return Optional.empty();
            }
            try {
                long seq = Long.parseLong(part.substring(colon + 1));
                if (seq < 0) {
                    return Optional.empty();
                }
                out.add(new Timeline.Position(part.substring(0, colon), seq));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        return Optional.of(out);
    }
}

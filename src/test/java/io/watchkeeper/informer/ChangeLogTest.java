package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.watchkeeper.informer.ChangeLog.Change;

class ChangeLogTest {

    private final ChangeLog log = new ChangeLog(3);
    private final List<Change> seen = new ArrayList<>();

    @Test
    void shouldReplayWhatCameAfterAResourceVersionItStillCovers() {
        for (int rv = 10; rv <= 12; rv++) {
            log.append("MODIFIED", pod(rv));
        }
        assertThat(log.resume(10, seen::add)).hasValueSatisfying(l -> assertThat(l).extracting(Change::resourceVersion).containsExactly(11L, 12L));
        log.append("DELETED", pod(13));
        assertThat(seen).extracting(Change::resourceVersion).containsExactly(13L); // registered atomically with the replay
    }

    @Test
    void shouldRefuseToResumeFromBeforeWhatItHolds() {
        assertThat(log.resume(5, seen::add)).as("nothing logged yet").isEmpty();
        for (int rv = 10; rv <= 14; rv++) {
            log.append("MODIFIED", pod(rv));
        }
        assertThat(log.resume(10, seen::add)).as("11 was dropped (capacity 3)").isEmpty();
        assertThat(log.resume(11, seen::add)).hasValueSatisfying(l -> assertThat(l).hasSize(3));
        assertThat(log.resume(99, seen::add)).as("from the future").isEmpty();
    }

    @Test
    void shouldForgetEverythingAtARelist() {
        log.append("ADDED", pod(10));
        log.append("ADDED", pod(11));
        log.reset();
        log.append("MODIFIED", pod(20));
        assertThat(log.resume(11, seen::add)).isEmpty();
        assertThat(log.resume(20, seen::add)).hasValueSatisfying(l -> assertThat(l).isEmpty());
    }

    private static HasMetadata pod(long rv) {
        return new PodBuilder().withNewMetadata().withName("p").withNamespace("ns").withResourceVersion(Long.toString(rv)).endMetadata().build();
    }
}

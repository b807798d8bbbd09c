package io.watchkeeper.informer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.watchkeeper.informer.Timeline.Change;
import io.watchkeeper.informer.Timeline.Position;
import io.watchkeeper.informer.Timeline.Source;
import io.watchkeeper.testing.MutableClock;

/** The timeline's coverage rules: what is published when, what a position may resume, and what observers are told. */
class TimelineTest {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    /** What one change of the test's config maps costs in the log: these tests keep three. */
    private static final long CHANGE = SERIALIZATION.asJson(cm("o1", "11")).length() + Timeline.CHANGE_OVERHEAD;
    private static final Duration RETENTION = Duration.ofMinutes(2);

    private final List<String> writes = new ArrayList<>();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    private final Timeline timeline = new Timeline(new Timeline.Budget(3 * CHANGE, RETENTION), clock,
            (type, before, after) -> writes.add(type + " " + name(after != null ? after : before)));
    private final Source<HasMetadata> source = timeline.newSource(UnaryOperator.identity());

    @Test
    void shouldPublishNothingUntilAListIsCompleteAndNeverLogTheListItself() {
        timeline.attach(source);
        source.beginList();
        put("b", "7");
        put("a", "3");
        assertThat(timeline.published()).isFalse();
        assertThat(timeline.read()).isEmpty();

        source.listed("9");

        assertThat(timeline.current()).isTrue();
        assertThat(timeline.listResourceVersion()).isEqualTo("9");
        Timeline.Snapshot s = timeline.read().orElseThrow();
        assertThat(s.items()).extracting(TimelineTest::name).containsExactlyInAnyOrder("a", "b");
        assertThat(timeline.logged()).isZero();
        // the consumers saw the list's items as they came, like fabric8's handlers would
        assertThat(writes).containsExactly("added b", "added a");
    }

    /**
     * A list read item by item into a controller's store: each item is transformed and compacted as it is read but only
     * put by fabric8's reflector, which then tells the controller of an addition; the put does not transform it again.
     * A list that failed leaves nothing prepared behind.
     */
    @Test
    void shouldPutAPreparedObjectAsItIsAndAsAnAddition() {
        List<String> transformed = new ArrayList<>();
        Source<HasMetadata> counted = timeline.newSource(o -> {
            transformed.add(name(o));
            return o;
        });
        timeline.attach(counted);
        counted.beginList();
        HasMetadata a = counted.prepare(cm("a", "3"));
        assertThat(counted.size()).as("prepared, not put").isZero();

        assertThat(counted.put("default/a", a)).as("an addition: nothing was there").isNull();
        assertThat(counted.get("default/a")).isSameAs(a);
        assertThat(transformed).containsExactly("a");
        assertThat(writes).containsExactly("added a");

        HasMetadata b = counted.prepare(cm("b", "4"));
        counted.beginList(); // the list failed; its retry puts what it reads, transformed
        counted.put("default/b", b);
        assertThat(transformed).containsExactly("a", "b", "b");
    }

    @Test
    void shouldLogEveryChangeAfterTheListInOrderAndGiveEachTheNextPosition() {
        listed(Map.of("a", "1"));
        Position start = timeline.read().orElseThrow().position();
        put("a", "10");
        put("c", "11");
        source.remove("default/a");

        List<Change> since = timeline.resume(start, observer(new ArrayList<>())).orElseThrow();
        assertThat(since).extracting(Change::type).containsExactly("MODIFIED", "ADDED", "DELETED");
        assertThat(since).extracting(Change::seq).containsExactly(start.seq() + 1, start.seq() + 2, start.seq() + 3);
        assertThat(name(since.get(2))).isEqualTo("a");
        assertThat(timeline.read().orElseThrow().position()).isEqualTo(new Position(start.epoch(), start.seq() + 3));
    }

    @Test
    void shouldResumeOnlyFromAPositionTheLogProvablyCovers() {
        listed(Map.of());
        Position start = timeline.read().orElseThrow().position();
        for (int i = 1; i <= 5; i++) { // capacity 3: the first two are evicted
            put("o" + i, String.valueOf(10 + i));
        }
        List<String> seen = new ArrayList<>();
        assertThat(timeline.resume(start, observer(seen))).as("evicted").isEmpty();
        assertThat(timeline.resume(new Position(start.epoch(), start.seq() + 1), observer(seen))).as("evicted").isEmpty();
        assertThat(timeline.resume(new Position(start.epoch(), start.seq() + 2), observer(seen))).hasValueSatisfying(l -> assertThat(l)
                .extracting(TimelineTest::name).containsExactly("o3", "o4", "o5"));
        assertThat(timeline.resume(new Position(start.epoch(), start.seq() + 6), observer(seen))).as("from the future").isEmpty();
        assertThat(timeline.resume(new Position("another-epoch", start.seq() + 4), observer(seen))).as("another epoch").isEmpty();
    }

    @Test
    void shouldHandAnObserverEveryChangeAfterItsSnapshotExactlyOnce() {
        listed(Map.of("a", "1"));
        put("a", "2");
        List<String> seen = new ArrayList<>();
        Timeline.Snapshot s = timeline.snapshot(observer(seen)).orElseThrow();
        assertThat(s.items()).extracting(o -> o.getMetadata().getResourceVersion()).containsExactly("2");
        put("a", "3");
        put("b", "4");
        assertThat(seen).containsExactly("MODIFIED a 3 @" + (s.position().seq() + 1), "ADDED b 4 @" + (s.position().seq() + 2));
    }

    @Test
    void shouldKeepTheLastPublishedStateWhileRelistingThenStartANewEpoch() {
        listed(Map.of("a", "1", "b", "2"));
        Position before = timeline.read().orElseThrow().position();
        List<String> seen = new ArrayList<>();
        timeline.snapshot(observer(seen));

        source.beginList();
        put("a", "5"); // the relist finds a changed
        source.remove("default/b"); // and no b any more
        assertThat(timeline.current()).isFalse();
        assertThat(timeline.read().orElseThrow().items()).extracting(TimelineTest::name).containsExactlyInAnyOrder("a", "b");
        assertThat(timeline.read().orElseThrow().position()).isEqualTo(before);
        assertThat(seen).as("a relist is not a sequence of changes").isEmpty();

        source.listed("6");

        assertThat(seen).containsExactly("epoch ended");
        Timeline.Snapshot after = timeline.read().orElseThrow();
        assertThat(after.position().epoch()).isNotEqualTo(before.epoch());
        assertThat(after.items()).extracting(o -> name(o) + "@" + o.getMetadata().getResourceVersion()).containsExactly("a@5");
        assertThat(timeline.resume(before, observer(seen))).as("nothing from before the relist can be resumed").isEmpty();
        // an unchanged object found again by a relist is no change at all
        source.beginList();
        put("a", "5");
        source.listed("7");
        assertThat(writes).containsExactly("modified a", "deleted b");
    }

    @Test
    void shouldIgnoreASourceThatIsNotAttachedAndPublishANewOneOnlyOnceItHasListed() {
        listed(Map.of("a", "1"));
        Source<HasMetadata> next = timeline.newSource(UnaryOperator.identity());
        List<String> seen = new ArrayList<>();
        Position before = timeline.snapshot(observer(seen)).orElseThrow().position();

        timeline.attach(next);
        put("z", "9"); // the old source, still running for a moment
        assertThat(timeline.read().orElseThrow().items()).extracting(TimelineTest::name).containsExactly("a");
        next.beginList();
        next.put("default/a", cm("a", "1"));
        next.put("default/c", cm("c", "2"));
        assertThat(seen).isEmpty();
        next.listed("3");

        assertThat(seen).containsExactly("epoch ended");
        assertThat(timeline.read().orElseThrow().items()).extracting(TimelineTest::name).containsExactlyInAnyOrder("a", "c");
        assertThat(timeline.read().orElseThrow().position().epoch()).isNotEqualTo(before.epoch());
    }

    @Test
    void shouldPublishASourceThatListedBeforeItWasAttached() {
        Source<HasMetadata> early = timeline.newSource(UnaryOperator.identity());
        early.beginList();
        early.put("default/a", cm("a", "1"));
        early.listed("1");
        assertThat(timeline.published()).isFalse();

        timeline.attach(early);

        assertThat(timeline.current()).isTrue();
        assertThat(timeline.read().orElseThrow().items()).extracting(TimelineTest::name).containsExactly("a");
    }

    @Test
    void shouldReadANamespaceThroughItsIndexLiveAndWhileRelisting() {
        listed(Map.of("a", "1"));
        source.put("other/b", new ConfigMapBuilder().withNewMetadata().withNamespace("other").withName("b").withResourceVersion("2")
                .endMetadata().build());
        assertThat(timeline.values("default")).extracting(TimelineTest::name).containsExactly("a");
        assertThat(timeline.values("other")).extracting(TimelineTest::name).containsExactly("b");

        source.beginList();
        source.remove("other/b"); // the relist does not find b: still there for readers until the list is complete
        assertThat(timeline.values("other")).extracting(TimelineTest::name).containsExactly("b");
        source.listed("3");
        assertThat(timeline.values("other")).isEmpty();
        assertThat(timeline.values("nowhere")).isEmpty();
    }

    @Test
    void shouldTellObserversWhenTheInformerIsGoneAndServeNothingMore() {
        listed(Map.of("a", "1"));
        List<String> seen = new ArrayList<>();
        timeline.snapshot(observer(seen));
        timeline.close();
        assertThat(seen).containsExactly("closed");
        assertThat(timeline.read()).isEmpty();
        assertThat(timeline.snapshot(observer(seen))).isEmpty();
        assertThat(seen).containsExactly("closed", "closed");
    }

    @Test
    void shouldRegisterAnObserverBeforeTheFirstListAndTellItWhenThereIsSomethingToSee() {
        timeline.attach(source);
        List<String> seen = new ArrayList<>();
        assertThat(timeline.snapshot(observer(seen))).isEmpty();
        source.beginList();
        put("a", "1");
        source.listed("1");
        assertThat(seen).containsExactly("epoch ended");
    }

    @Test
    void shouldKeepALogOnlyWhileSomebodyFollowsOrMayResume() {
        listed(Map.of("a", "1"));
        put("a", "2");
        assertThat(timeline.logged()).as("nobody follows, nobody read a position").isZero();

        List<String> seen = new ArrayList<>();
        Timeline.Observer o = observer(seen);
        Position followed = timeline.snapshot(o).orElseThrow().position();
        put("a", "3");
        assertThat(timeline.logged()).isEqualTo(1);
        timeline.unobserve(o);
        // the last follower left: a reconnecting one may still resume, for the retention
        clock.advance(RETENTION.minusSeconds(1));
        put("a", "4");
        Timeline.Observer again = observer(new ArrayList<>());
        assertThat(timeline.resume(followed, again)).hasValueSatisfying(l -> assertThat(l).hasSize(2));
        timeline.unobserve(again);

        Position read = timeline.read().orElseThrow().position(); // an HTTP list's position may be resumed too
        clock.advance(RETENTION.plusSeconds(1));
        put("a", "5");
        assertThat(timeline.logged()).as("nobody followed or read for longer than the retention").isZero();
        assertThat(timeline.resume(read, observer(new ArrayList<>()))).isEmpty();
        assertThat(timeline.resume(followed, observer(new ArrayList<>()))).isEmpty();
    }

    @Test
    void shouldReleaseTheLogOfAQuietTimelineOnceItsRetentionHasRunOut() {
        listed(Map.of("a", "1"));
        Timeline.Observer o = observer(new ArrayList<>());
        Position followed = timeline.snapshot(o).orElseThrow().position();
        put("a", "2");
        timeline.unobserve(o);
        timeline.releaseLogIfUnneeded();
        assertThat(timeline.logged()).as("within the retention").isEqualTo(1);

        clock.advance(RETENTION.plusSeconds(1)); // and no write comes
        timeline.releaseLogIfUnneeded();
        assertThat(timeline.loggedBytes()).isZero();
        assertThat(timeline.resume(followed, observer(new ArrayList<>()))).isEmpty();
    }

    @Test
    void shouldBoundTheLogInBytesWhateverTheSizeOfAChange() {
        listed(Map.of());
        List<String> seen = new ArrayList<>();
        Position start = timeline.snapshot(observer(seen)).orElseThrow().position();
        for (int i = 0; i < 10; i++) {
            source.put("default/big", new ConfigMapBuilder((io.fabric8.kubernetes.api.model.ConfigMap) cm("big", String.valueOf(10 + i))).addToData("v", "x".repeat(i * 100)).build());
            assertThat(timeline.loggedBytes()).isLessThanOrEqualTo(3 * CHANGE);
        }
        assertThat(seen).as("followers get every change, logged or not").hasSize(10);
        // one change larger than the whole budget: it is told, not kept, and nothing before it can be resumed
        source.put("default/big", new ConfigMapBuilder((io.fabric8.kubernetes.api.model.ConfigMap) cm("big", "99")).addToData("v", "x".repeat((int) (4 * CHANGE))).build());
        assertThat(seen).hasSize(11);
        assertThat(timeline.logged()).isZero();
        Position now = timeline.read().orElseThrow().position();
        assertThat(timeline.resume(start, observer(new ArrayList<>()))).isEmpty();
        assertThat(timeline.resume(now, observer(new ArrayList<>()))).hasValueSatisfying(l -> assertThat(l).isEmpty());
    }

    /** Reads by label go through the index; it follows labels that change, objects that go, and relists. */
    @Test
    void shouldKeepTheLabelIndexInStepWithEveryWrite() throws InvalidSelectorException {
        listed(Map.of());
        source.put("default/a", labelled("a", "1", Map.of("app", "web", "tier", "front")));
        source.put("default/b", labelled("b", "1", Map.of("app", "web")));
        source.put("default/c", labelled("c", "1", Map.of("app", "db")));
        assertThat(names(LabelSelectors.parse("app=web"))).containsExactlyInAnyOrder("a", "b");
        assertThat(names(LabelSelectors.parse("app in (web,db),tier"))).containsExactly("a");
        assertThat(names(LabelSelectors.parse("app!=web"))).as("no index: every object looked at").containsExactly("c");

        source.put("default/b", labelled("b", "2", Map.of("app", "db")));
        source.remove("default/a");
        assertThat(names(LabelSelectors.parse("app=web"))).isEmpty();
        assertThat(names(LabelSelectors.parse("app=db"))).containsExactlyInAnyOrder("b", "c");

        source.beginList(); // a relist: readers keep the published state, read through a frozen copy of the indexes
        source.put("default/c", labelled("c", "3", Map.of("app", "web")));
        assertThat(names(LabelSelectors.parse("app=db"))).containsExactlyInAnyOrder("b", "c");
        source.listed("3");
        assertThat(names(LabelSelectors.parse("app=web"))).containsExactly("c");
        assertThat(timeline.read(LabelSelectors.parse("app=db")).orElseThrow().items()).extracting(TimelineTest::name).containsExactly("b");
    }

    private java.util.List<String> names(LabelSelectors.Selector labels) {
        return timeline.values("default", labels).stream().map(TimelineTest::name).toList();
    }

    private static HasMetadata labelled(String name, String rv, Map<String, String> labels) {
        HasMetadata o = cm(name, rv);
        o.getMetadata().setLabels(labels);
        return o;
    }

    private void listed(Map<String, String> items) {
        timeline.attach(source);
        source.beginList();
        items.forEach(this::put);
        source.listed("1");
        writes.clear();
    }

    private void put(String name, String rv) {
        source.put("default/" + name, cm(name, rv));
    }

    private static HasMetadata cm(String name, String rv) {
        return new ConfigMapBuilder().withNewMetadata().withNamespace("default").withName(name).withResourceVersion(rv).endMetadata().build();
    }

    private static String name(HasMetadata o) {
        return o.getMetadata().getName();
    }

    private static String name(Change c) {
        return name(object(c));
    }

    private static HasMetadata object(Change c) {
        return SERIALIZATION.unmarshal(c.json(), HasMetadata.class);
    }

    private static Timeline.Observer observer(List<String> seen) {
        return new Timeline.Observer() {
            @Override
            public void onChange(Change change, Position after) {
                seen.add(change.type() + " " + name(change) + " " + object(change).getMetadata().getResourceVersion() + " @" + after.seq());
            }

            @Override
            public void onEpochEnd(boolean closed) {
                seen.add(closed ? "closed" : "epoch ended");
            }
        };
    }
}

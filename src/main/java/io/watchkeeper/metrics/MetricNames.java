package io.watchkeeper.metrics;

/**
 * Every Watchkeeper meter name and label, in one place. Micrometer names; the Prometheus registry turns dots into
 * underscores and adds {@code _total} to counters, so {@code watchkeeper.informer.events} is scraped as
 * {@code watchkeeper_informer_events_total}. Labels stay bounded: resource, namespace scope, event type, never an
 * object name.
 */
public final class MetricNames {

    public static final String INFORMERS_ACTIVE = "watchkeeper.informers.active";
    public static final String INFORMER_CONSUMERS = "watchkeeper.informer.consumers";
    public static final String INFORMER_CACHE_ITEMS = "watchkeeper.informer.cache.items";
    public static final String INFORMER_SYNCED = "watchkeeper.informer.synced";
    public static final String INFORMER_EVENTS = "watchkeeper.informer.events";
    public static final String INFORMER_RELISTS = "watchkeeper.informer.relists";
    public static final String INFORMER_WATCH_RESTARTS = "watchkeeper.informer.watch.restarts";
    public static final String INFORMER_FAILURES = "watchkeeper.informer.failures";
    public static final String INFORMER_LAST_EVENT = "watchkeeper.informer.last.event.timestamp.seconds";
    public static final String CACHE_READS = "watchkeeper.cache.reads";
    public static final String BUILD_INFO = "watchkeeper.build.info";
    public static final String LEADER = "watchkeeper.leader";
    public static final String POD_PROBLEMS = "watchkeeper.pod.problems";
    public static final String POD_PROBLEM_TRANSITIONS = "watchkeeper.pod.problem.transitions";
    public static final String SERVICE_SELECTED_PODS = "watchkeeper.service.selected.pods";
    public static final String SERVICE_READY_PODS = "watchkeeper.service.ready.pods";
    public static final String SERVICES = "watchkeeper.services";
    public static final String INSIGHT_EVENT_FAILURES = "watchkeeper.insight.event.failures";
    public static final String STREAM_CLIENTS = "watchkeeper.stream.clients";
    public static final String STREAM_SUBSCRIPTIONS = "watchkeeper.stream.subscriptions";
    public static final String STREAM_MESSAGES = "watchkeeper.stream.messages";
    public static final String STREAM_CLIENTS_DROPPED = "watchkeeper.stream.clients.dropped";
    public static final String STREAM_REFUSALS = "watchkeeper.stream.refusals";
    public static final String WATCH_REFUSALS = "watchkeeper.watch.refusals";
    public static final String AUTH_REFUSALS = "watchkeeper.auth.refusals";
    public static final String API_ITEM_READS = "watchkeeper.api.item.reads";

    /** API group and plural, such as {@code pods} or {@code deployments.apps}. */
    public static final String TAG_RESOURCE = "resource";
    /** The informer's namespace, or {@code *} for all namespaces. */
    public static final String TAG_NAMESPACE = "namespace";
    /** Event type: added, modified, deleted. */
    public static final String TAG_TYPE = "type";
    /** Failure reason, as in the watch's Ready condition. */
    public static final String TAG_REASON = "reason";
    /**
     * The Service's name, on the per-Service insight gauges only (the issue asks for them; Services are few and long-lived,
     * unlike pods, whose names never become labels).
     */
    public static final String TAG_SERVICE = "service";
    /** A Service insight state, such as NoReadyPods. */
    public static final String TAG_STATE = "state";
    /** The kind of object an Event was for: Pod or Service. */
    public static final String TAG_KIND = "kind";
    /** Stream message type: SNAPSHOT, ADDED, MODIFIED, DELETED, BOOKMARK, RESUMED, READY, ERROR. */
    public static final String TAG_MESSAGE = "message";
    /** Read kind: list or get. */
    public static final String TAG_OPERATION = "operation";
    /** Where an HTTP read was answered: event-loop, or worker (a review to ask, or a long answer). */
    public static final String TAG_THREAD = "thread";

    private MetricNames() {
    }
}

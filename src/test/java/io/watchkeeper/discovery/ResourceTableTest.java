package io.watchkeeper.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import io.watchkeeper.discovery.ResolutionException.Reason;

class ResourceTableTest {

    private static final List<String> RW = List.of("get", "list", "watch");

    private static ResourceTable table() {
        Map<String, String> preferred = new LinkedHashMap<>();
        Map<String, List<ApiResource>> resources = new LinkedHashMap<>();
        preferred.put("", "v1");
        resources.put("v1", List.of(
                new ApiResource("", "v1", "pods", "Pod", true, "pod", List.of("po"), RW),
                new ApiResource("", "v1", "events", "Event", true, "event", List.of("ev"), RW),
                new ApiResource("", "v1", "bindings", "Binding", true, "binding", List.of(), List.of("create"))));
        preferred.put("apps", "v1");
        resources.put("apps/v1", List.of(new ApiResource("apps", "v1", "deployments", "Deployment", true, "deployment", List.of("deploy"), RW)));
        preferred.put("events.k8s.io", "v1");
        resources.put("events.k8s.io/v1", List.of(new ApiResource("events.k8s.io", "v1", "events", "Event", true, "event", List.of("ev"), RW)));
        preferred.put("alpha.example.com", "v1");
        resources.put("alpha.example.com/v1", List.of(new ApiResource("alpha.example.com", "v1", "gadgets", "Gadget", true, "", List.of(), RW)));
        preferred.put("beta.example.com", "v2");
        resources.put("beta.example.com/v2", List.of(new ApiResource("beta.example.com", "v2", "gadgets", "Gadget", true, "gadget", List.of(), RW)));
        return new ResourceTable(preferred, resources);
    }

    @ParameterizedTest
    @CsvSource({ "pods,v1/pods", "pod,v1/pods", "po,v1/pods", "Pod,v1/pods", "POD,v1/pods", "v1/pods,v1/pods", " pods ,v1/pods",
            "deployments,apps/v1/deployments", "deployments.apps,apps/v1/deployments", "deployments.v1.apps,apps/v1/deployments",
            "apps/v1/deployments,apps/v1/deployments", "apps/deployments,apps/v1/deployments", "deploy,apps/v1/deployments",
            "Deployment,apps/v1/deployments", "deployment.apps,apps/v1/deployments", "events,v1/events", "events.events.k8s.io,events.k8s.io/v1/events",
            "gadgets.alpha.example.com,alpha.example.com/v1/gadgets", "gadget.beta.example.com,beta.example.com/v2/gadgets" })
    void shouldResolveEveryFormKubectlAccepts(String name, String path) throws ResolutionException {
        assertThat(table().resolve(name, ResourceTable.VersionLookup.NONE)).map(ApiResource::path).hasValue(path);
    }

    @Test
    void shouldAnswerNothingForAnUnknownName() throws ResolutionException {
        assertThat(table().resolve("widgets", ResourceTable.VersionLookup.NONE)).isEmpty();
        assertThat(table().resolve("widgets.example.com", ResourceTable.VersionLookup.NONE)).isEmpty();
        assertThat(table().resolve("v1/widgets", ResourceTable.VersionLookup.NONE)).isEmpty();
        assertThat(table().resolve("a/b/c/d", ResourceTable.VersionLookup.NONE)).isEmpty();
    }

    @Test
    void shouldListTheChoicesForAnAmbiguousName() {
        assertThatThrownBy(() -> table().resolve("gadgets", ResourceTable.VersionLookup.NONE))
                .isInstanceOfSatisfying(ResolutionException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.AmbiguousResource);
                    assertThat(e.getMessage()).contains("gadgets.alpha.example.com, gadgets.beta.example.com");
                });
    }

    @Test
    void shouldRefuseAResourceThatCannotBeWatched() {
        assertThatThrownBy(() -> table().resolve("bindings", ResourceTable.VersionLookup.NONE))
                .isInstanceOfSatisfying(ResolutionException.class, e -> assertThat(e.reason()).isEqualTo(Reason.ResourceNotWatchable));
    }

    @Test
    void shouldFetchANonPreferredVersionWhenAsked() throws ResolutionException {
        ResourceTable.VersionLookup lookup = gv -> gv.equals("apps/v1beta1")
                ? List.of(new ApiResource("apps", "v1beta1", "deployments", "Deployment", true, "deployment", List.of(), RW))
                : null;
        assertThat(table().resolve("apps/v1beta1/deployments", lookup)).map(ApiResource::path).hasValue("apps/v1beta1/deployments");
        assertThat(table().resolve("apps/v9/deployments", lookup)).isEmpty();
    }

    /**
     * Two CRDs in one group, one served only at v1, the other at v2: the group's preferred version is v2, and the v1
     * resource must still be found (in the first other version that serves it), in every form that names no version.
     */
    @Test
    void shouldFindAResourceThatItsGroupsPreferredVersionDoesNotServe() throws ResolutionException {
        Map<String, String> preferred = Map.of("example.com", "v2");
        Map<String, List<ApiResource>> resources = Map.of("example.com/v2",
                List.of(new ApiResource("example.com", "v2", "gizmos", "Gizmo", true, "gizmo", List.of(), RW)));
        ResourceTable.VersionLookup lookup = gv -> gv.equals("example.com/v1")
                ? List.of(new ApiResource("example.com", "v1", "widgets", "Widget", true, "widget", List.of("wdg"), RW))
                : null;
        ResourceTable table = new ResourceTable(preferred, Map.of("example.com", List.of("v1")), resources);
        for (String name : List.of("widgets", "widget", "Widget", "wdg", "widgets.example.com", "example.com/widgets")) {
            assertThat(table.resolve(name, lookup)).as(name).map(ApiResource::path).hasValue("example.com/v1/widgets");
        }
        assertThat(table.resolve("gizmos", lookup)).map(ApiResource::path).hasValue("example.com/v2/gizmos");
        assertThat(table.resolve("sprockets", lookup)).isEmpty();
    }
}

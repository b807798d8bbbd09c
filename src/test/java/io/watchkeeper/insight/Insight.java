package io.watchkeeper.insight;

import static io.restassured.RestAssured.given;

import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.restassured.path.json.JsonPath;
import io.watchkeeper.testing.TestCluster;
import io.watchkeeper.testing.Watches;

/** What the insight tests do to the cluster, and how they look at the operator's answers. */
final class Insight {

    private Insight() {
    }

    static Pod pod(String ns, String name, Map<String, String> labels) {
        return TestCluster.admin().resource(Watches.pod(ns, name, labels)).create();
    }

    /** Writes the pod's status through the status subresource, as a kubelet would. */
    static void status(String ns, String pod, PodStatus status) {
        TestCluster.admin().pods().inNamespace(ns).withName(pod).editStatus(p -> {
            p.setStatus(status);
            return p;
        });
    }

    static Service service(String ns, String name, Map<String, String> selector) {
        return TestCluster.admin().resource(new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().withSelector(selector).addNewPort().withPort(80).withProtocol("TCP").endPort().endSpec().build()).create();
    }

    /** Events about {@code name} with {@code reason}, written by Watchkeeper. */
    static List<Event> events(String ns, String name, String reason) {
        return TestCluster.admin().v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason()))
                .filter(e -> e.getSource() != null && "watchkeeper".equals(e.getSource().getComponent())).toList();
    }

    static JsonPath problems(String ns) {
        return given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN).queryParam("namespace", ns)
                .get("/api/v1alpha1/problems").then().statusCode(200).extract().jsonPath();
    }

    /** The reason of {@code pod}'s problem in the problems API, or null when it has none. */
    static String problemOf(String ns, String pod) {
        List<Map<String, Object>> pods = problems(ns).getList("pods");
        return pods.stream().filter(p -> pod.equals(p.get("name"))).map(p -> (String) p.get("reason")).findFirst().orElse(null);
    }

    static JsonPath serviceInsight(String ns, String service) {
        return given().header("Authorization", "Bearer " + TestCluster.ADMIN_TOKEN)
                .get("/api/v1alpha1/namespaces/" + ns + "/services/" + service + "/insight").then().statusCode(200).extract().jsonPath();
    }

    /** The value of one series in /q/metrics, e.g. {@code watchkeeper_pod_problems{namespace="x",reason="y"}}. */
    static OptionalDouble metric(String series) {
        return io.watchkeeper.testing.OperatorMetrics.value(series);
    }
}

package io.watchkeeper.testing;

import static io.restassured.RestAssured.given;

import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The operator under test's own {@code /q/metrics}, read one series at a time. */
public final class OperatorMetrics {

    private OperatorMetrics() {
    }

    /** The value of one series, e.g. {@code watchkeeper_pod_problems{namespace="x",reason="y"}}; empty when absent. */
    public static OptionalDouble value(String series) {
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
        return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
    }
}

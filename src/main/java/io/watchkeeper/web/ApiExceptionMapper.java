package io.watchkeeper.web;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** Turns {@link ApiException} into a Kubernetes-style {@code Status} body, the shape kubectl users know. */
@Provider
public class ApiExceptionMapper implements ExceptionMapper<ApiException> {

    @Override
    public Response toResponse(ApiException e) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("apiVersion", "v1");
        status.put("kind", "Status");
        status.put("status", "Failure");
        status.put("message", e.getMessage());
        status.put("reason", e.reason());
        status.put("code", e.code());
        Response.ResponseBuilder b = Response.status(e.code()).type(MediaType.APPLICATION_JSON).entity(status);
        if (e.retryAfterSeconds() != null) {
            b.header("Retry-After", e.retryAfterSeconds());
        }
        if (e.code() == 401) {
            b.header("WWW-Authenticate", "Bearer realm=\"watchkeeper\"");
        }
        return b.build();
    }
}

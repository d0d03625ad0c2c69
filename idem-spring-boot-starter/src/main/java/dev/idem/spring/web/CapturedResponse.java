package dev.idem.spring.web;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP response as stored for replay: the result type of the operation behind an {@link
 * IdempotentEndpoint}. Encoded by Idem's result codec (JSON, the body as Base64), decoded against
 * this declared type only.
 *
 * @param status the status code
 * @param contentType the {@code Content-Type}, or null
 * @param headers the headers that are replayed, by name, in the order they were written
 * @param body the body bytes
 */
public record CapturedResponse(
    int status, @Nullable String contentType, Map<String, List<String>> headers, byte[] body) {

  /** Copies the headers and checks the status. */
  public CapturedResponse {
    if (status < 100 || status > 999) {
      throw new IllegalArgumentException("invalid HTTP status: " + status);
    }
    Map<String, List<String>> copy = new LinkedHashMap<>();
    Objects.requireNonNull(headers, "headers").forEach((k, v) -> copy.put(k, List.copyOf(v)));
    headers = java.util.Collections.unmodifiableMap(copy);
    body = Objects.requireNonNull(body, "body").clone();
  }

  /**
   * Returns a copy of the body.
   *
   * @return the body bytes
   */
  @Override
  public byte[] body() {
    return body.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CapturedResponse other
        && status == other.status
        && Objects.equals(contentType, other.contentType)
        && headers.equals(other.headers)
        && Arrays.equals(body, other.body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(status, contentType, headers, Arrays.hashCode(body));
  }

  @Override
  public String toString() {
    return "CapturedResponse[status="
        + status
        + ", contentType="
        + contentType
        + ", headers="
        + headers.keySet()
        + ", body="
        + body.length
        + " bytes]";
  }
}

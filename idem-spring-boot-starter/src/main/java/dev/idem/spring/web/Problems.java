package dev.idem.spring.web;

import dev.idem.IdempotencyException;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyStoreException;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;

/**
 * The one {@code application/problem+json} vocabulary of Idem's HTTP errors, shared by {@link
 * IdempotencyKeyFilter} and {@link IdempotencyExceptionHandler}: {@code type} ({@code
 * about:blank}), {@code title} (the status's reason phrase), {@code status}, {@code detail}, {@code
 * instance} (the request path) and {@code operation} (the operation name, never the key).
 */
final class Problems {

  /**
   * Set on a request whose response {@link IdempotencyExceptionHandler} wrote, so that {@link
   * IdempotencyKeyFilter} never stores an Idem error of an inner call as an endpoint's response.
   */
  static final String HANDLED_ATTRIBUTE = Problems.class.getName() + ".handled";

  private Problems() {}

  static ProblemDetail of(
      HttpServletRequest request, int status, String detail, @Nullable String operation) {
    ProblemDetail problem =
        ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(status), detail);
    HttpStatus known = HttpStatus.resolve(status);
    if (known != null) {
      problem.setTitle(known.getReasonPhrase());
    }
    try {
      problem.setInstance(URI.create(request.getRequestURI()));
    } catch (IllegalArgumentException e) {
      // an unusual path: the problem simply has no instance
    }
    if (operation != null) {
      problem.setProperty("operation", operation);
    }
    return problem;
  }

  /** The detail of an Idem exception: its message for 4xx, no internals for 5xx. */
  static String detail(IdempotencyException e) {
    if (e instanceof IdempotencyStoreException) {
      return "The idempotency store is unavailable; the request was not processed";
    }
    return e.httpStatus() >= 500
        ? "The request was already processed, but its response cannot be replayed"
        : e.getMessage();
  }

  /** Seconds for {@code Retry-After}, rounded up, at least 1. */
  static String retryAfterSeconds(Duration retryAfter) {
    return Long.toString(Math.max(1, (retryAfter.toMillis() + 999) / 1000));
  }

  static @Nullable Duration retryAfter(IdempotencyException e) {
    return e instanceof IdempotencyInProgressException inProgress ? inProgress.retryAfter() : null;
  }
}

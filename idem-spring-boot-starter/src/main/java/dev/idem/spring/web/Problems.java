package dev.idem.spring.web;

import dev.idem.IdempotencyException;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyKeyException;
import dev.idem.IdempotencyKeyReuseException;
import dev.idem.IdempotencyStoreException;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;

/**
 * The one {@code application/problem+json} vocabulary of Idem's HTTP errors, shared by {@link
 * IdempotencyKeyFilter} and {@link IdempotencyExceptionHandler}: {@code type} (one URI per {@link
 * Type}), {@code title} (the status's reason phrase), {@code status}, {@code detail}, {@code
 * instance} (the request path) and {@code operation} (the operation name, never the key); with a
 * documentation URL, also a {@code Link: <url>; rel="describedby"} header.
 */
final class Problems {

  /**
   * Set on a request whose response {@link IdempotencyExceptionHandler} wrote, so that {@link
   * IdempotencyKeyFilter} never stores an Idem error of an inner call as an endpoint's response.
   */
  static final String HANDLED_ATTRIBUTE = Problems.class.getName() + ".handled";

  /** The {@code type} URIs without a documentation URL: {@code urn:idem:problem:<slug>}. */
  static final String DEFAULT_TYPE_PREFIX = "urn:idem:problem:";

  /** What went wrong; each is one problem {@code type}. */
  enum Type {
    /** The request has no {@code Idempotency-Key} (400). */
    KEY_MISSING,
    /** The key is malformed, blank or too long (400). */
    KEY_INVALID,
    /** The request body is over the limit (413). */
    BODY_TOO_LARGE,
    /** The key was used with another request (422). */
    KEY_REUSE,
    /** A request with the key is still being processed (409). */
    CONFLICT,
    /** The idempotency store is unreachable (503). */
    STORE_UNAVAILABLE,
    /** The stored response cannot be replayed (500). */
    REPLAY_UNAVAILABLE;

    /** The fragment or URN suffix: {@code key-missing}, {@code conflict}, ... */
    String slug() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  private final @Nullable URI documentation;

  /**
   * Creates the vocabulary.
   *
   * @param documentation the page that documents the application's idempotency keys (format, expiry
   *     policy, errors), or null; types are then {@code <url>#<slug>}
   */
  Problems(@Nullable URI documentation) {
    this.documentation = documentation;
  }

  /** The type of an Idem exception. */
  static Type typeOf(IdempotencyException e) {
    if (e instanceof IdempotencyKeyException) {
      return Type.KEY_INVALID;
    }
    if (e instanceof IdempotencyKeyReuseException) {
      return Type.KEY_REUSE;
    }
    if (e instanceof IdempotencyInProgressException) {
      return Type.CONFLICT;
    }
    if (e instanceof IdempotencyStoreException) {
      return Type.STORE_UNAVAILABLE;
    }
    return Type.REPLAY_UNAVAILABLE;
  }

  URI type(Type type) {
    return documentation != null
        ? documentation.resolve("#" + type.slug())
        : URI.create(DEFAULT_TYPE_PREFIX + type.slug());
  }

  /** The value of the {@code Link} header of every problem, or null without documentation. */
  @Nullable String link() {
    return documentation == null ? null : "<" + documentation + ">; rel=\"describedby\"";
  }

  ProblemDetail of(
      HttpServletRequest request,
      Type type,
      int status,
      String detail,
      @Nullable String operation) {
    ProblemDetail problem =
        ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(status), detail);
    problem.setType(type(type));
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

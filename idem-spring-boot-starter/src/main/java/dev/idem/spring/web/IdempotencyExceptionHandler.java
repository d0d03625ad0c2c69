package dev.idem.spring.web;

import dev.idem.IdempotencyException;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyKeyException;
import dev.idem.IdempotencyKeyReuseException;
import dev.idem.IdempotencyReplayUnavailableException;
import dev.idem.IdempotencyStoreException;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Answers the Idem exceptions that reach Spring MVC from {@code @Idempotent} methods (a
 * controller's own, or a service it calls) with their {@link IdempotencyException#httpStatus() HTTP
 * status} as {@code application/problem+json}, in the vocabulary of {@link IdempotencyKeyFilter}:
 * {@code title}, {@code status}, {@code detail}, {@code instance} and {@code operation}.
 *
 * <table>
 *   <caption>Responses</caption>
 *   <tr><th>exception</th><th>status</th></tr>
 *   <tr><td>{@link IdempotencyKeyException}</td><td>400</td></tr>
 *   <tr><td>{@link IdempotencyInProgressException}</td><td>409, with {@code Retry-After} when
 *       {@link IdempotencyInProgressException#retryAfter()} is known</td></tr>
 *   <tr><td>{@link IdempotencyKeyReuseException}</td><td>422</td></tr>
 *   <tr><td>{@link IdempotencyReplayUnavailableException}</td><td>500</td></tr>
 *   <tr><td>{@link IdempotencyStoreException}</td><td>503</td></tr>
 * </table>
 *
 * <p>{@code IdempotencyConfigurationException} (a bug, not a request's fault) is left to the
 * application's usual error handling. Ordered last ({@link Ordered#LOWEST_PRECEDENCE}): an
 * {@code @ExceptionHandler} in the controller, or in the application's own
 * {@code @ControllerAdvice}, for these types (or a supertype) wins. The starter registers it unless
 * the application declares a bean of this type.
 */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
public class IdempotencyExceptionHandler {

  private final Problems problems;

  /** Creates the handler, with {@code urn:idem:problem:<slug>} problem types. */
  public IdempotencyExceptionHandler() {
    this(null);
  }

  /**
   * Creates the handler.
   *
   * @param documentation the page documenting the application's idempotency keys, or null: problem
   *     types are then {@code <documentation>#<slug>} and problems carry {@code Link:
   *     <documentation>; rel="describedby"}
   */
  public IdempotencyExceptionHandler(@Nullable URI documentation) {
    this.problems = new Problems(documentation);
  }

  /**
   * Answers an Idem exception with its status as a problem.
   *
   * @param e the exception
   * @param request the request
   * @return the problem response
   */
  @ExceptionHandler({
    IdempotencyKeyException.class,
    IdempotencyKeyReuseException.class,
    IdempotencyInProgressException.class,
    IdempotencyStoreException.class,
    IdempotencyReplayUnavailableException.class
  })
  public ResponseEntity<ProblemDetail> handleIdempotencyException(
      IdempotencyException e, HttpServletRequest request) {
    request.setAttribute(Problems.HANDLED_ATTRIBUTE, Boolean.TRUE);
    ResponseEntity.BodyBuilder response =
        ResponseEntity.status(e.httpStatus()).contentType(MediaType.APPLICATION_PROBLEM_JSON);
    Duration retryAfter = Problems.retryAfter(e);
    if (retryAfter != null) {
      response.header(HttpHeaders.RETRY_AFTER, Problems.retryAfterSeconds(retryAfter));
    }
    String link = problems.link();
    if (link != null) {
      response.header(HttpHeaders.LINK, link);
    }
    return response.body(
        problems.of(
            request, Problems.typeOf(e), e.httpStatus(), Problems.detail(e), e.operation()));
  }
}

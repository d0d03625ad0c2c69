package dev.idem.spring.web;

import dev.idem.annotation.OnInProgress;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a Spring MVC handler method idempotent on the {@code Idempotency-Key} request header: the
 * first request with a key runs the handler and its response (status, headers that matter, body) is
 * stored; every later request with the same key gets that response again, marked with {@code
 * Idempotent-Replayed: true}, without running the handler.
 *
 * <pre>{@code
 * @PostMapping("/orders")
 * @IdempotentEndpoint(name = "orders.create", ttl = "24h")
 * ResponseEntity<Order> create(@RequestBody CreateOrder request) { ... }
 * }</pre>
 *
 * <table>
 *   <caption>Responses</caption>
 *   <tr><th>request</th><th>response</th></tr>
 *   <tr><td>no key, {@link #required()}</td><td>400 problem</td></tr>
 *   <tr><td>invalid key (not an RFC 8941 string, blank, repeated, control characters, not
 *       ASCII, too long)</td><td>400 problem</td></tr>
 *   <tr><td>new key</td><td>the handler's response</td></tr>
 *   <tr><td>same key, same request, completed</td><td>the stored response, replayed</td></tr>
 *   <tr><td>same key, still running</td><td>409 problem with {@code Retry-After} (the default,
 *       as the IETF draft requires); with WAIT opted into, the stored response once it completes
 *       (409 if the wait times out)</td></tr>
 *   <tr><td>same key, different method, path, query or body</td><td>422 problem</td></tr>
 *   <tr><td>store unreachable</td><td>503 problem</td></tr>
 * </table>
 *
 * <p>Keys are scoped by operation and, when the request has one, by the authenticated principal
 * ({@code HttpServletRequest.getUserPrincipal()}): two users never share a record. Responses with
 * status 2xx, 3xx and 4xx (except 408, 425 and 429) are stored; a 5xx or one of those three, an
 * error sent with {@code sendError} (rendered later by the container's error page) and an exception
 * release the key, so that a retry runs the handler again. Asynchronous handlers ({@code Callable},
 * {@code DeferredResult}, {@code CompletionStage}, emitters, streaming bodies) are refused at
 * startup: their responses are written after the filter returns.
 *
 * <p>Every attribute left at its default inherits from the {@linkplain #policy() named policy},
 * then the global defaults ({@code idem.defaults.*}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface IdempotentEndpoint {

  /**
   * The stable operation name, part of every stored key. Defaults to {@code
   * SimpleClassName.methodName}; set it so that refactoring does not change keys.
   *
   * @return the operation name, or empty for the default
   */
  String name() default "";

  /**
   * Whether a request without the header is refused with 400. When false, such a request runs the
   * handler without idempotency.
   *
   * @return true to require the header
   */
  boolean required() default true;

  /**
   * How long a response is kept and replayed, as {@code "24h"}, {@code "30m"}, {@code "500ms"} or
   * ISO-8601. Empty inherits.
   *
   * @return the record time to live
   */
  String ttl() default "";

  /**
   * How long a claim stays exclusive without renewal. Empty inherits.
   *
   * @return the lease
   */
  String lease() default "";

  /**
   * What a duplicate request does while the first one runs: get 409 (REJECT), or wait for its
   * response (WAIT). Left at DEFAULT, the named policy's setting applies if it has one, else {@code
   * idem.web.on-in-progress} (REJECT unless set) — not the method defaults ({@code idem.defaults}).
   *
   * @return the in-progress behaviour
   */
  OnInProgress onInProgress() default OnInProgress.DEFAULT;

  /**
   * The longest a waiting duplicate blocks before it gets 409. Empty inherits.
   *
   * @return the wait timeout
   */
  String waitTimeout() default "";

  /**
   * The name of a policy registered under {@code idem.policies.<name>}. Empty uses the defaults.
   *
   * @return the policy name
   */
  String policy() default "";
}

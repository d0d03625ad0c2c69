package dev.idem.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method whose body must run at most once per key: every call with the same key (a retry
 * after a lost response, a redelivered message, a duplicate from another JVM) gets the result of
 * the single execution.
 *
 * <pre>{@code
 * @Idempotent(name = "payments.charge", key = "#cmd.orderId", ttl = "24h")
 * public Receipt charge(ChargeCommand cmd) { ... }
 * }</pre>
 *
 * <p>The annotation is read by the Idem aspect (woven at compile time, at load time, or applied by
 * a Spring AOP proxy). Attributes left at their defaults inherit from the {@linkplain #policy()
 * named policy}, which inherits from the global defaults. Every attribute is validated once per
 * method, before the first call runs: a bad expression, an unparseable duration or an unsupported
 * return type fails with {@code IdempotencyConfigurationException} naming the method.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Idempotent {

  /** The value of {@link #payload()} that fingerprints all the method's arguments. */
  String ALL_ARGUMENTS = "*";

  /**
   * The SpEL expression that computes the idempotency key from the arguments, for example {@code
   * "#cmd.orderId"} or {@code "#p0"}. Arguments are available by name (compile with {@code
   * -parameters}) and as {@code #p0}/{@code #a0}. A null, blank or control-character key fails the
   * call with {@code IdempotencyKeyException} before any store access.
   *
   * @return the key expression; required
   */
  String key();

  /**
   * The stable name of the operation, which becomes part of every stored key ({@code
   * prefix:name[:scope]:key}). Defaults to {@code SimpleClassName.methodName}; set it explicitly so
   * that renaming the class or method does not change keys.
   *
   * @return the operation name, or empty for the default
   */
  String name() default "";

  /**
   * The SpEL expression whose value is fingerprinted (SHA-256 of canonical JSON) to detect a key
   * reused with a different request. {@value #ALL_ARGUMENTS} (the default) fingerprints all
   * arguments; an empty string disables the check.
   *
   * @return the payload expression
   */
  String payload() default ALL_ARGUMENTS;

  /**
   * How long a completed result is kept and replayed, as {@code "24h"}, {@code "30m"}, {@code
   * "500ms"}, {@code "7d"} or ISO-8601 ({@code "PT24H"}). Empty inherits from the policy.
   *
   * @return the record time to live
   */
  String ttl() default "";

  /**
   * How long a claim stays exclusive without renewal; a call that crashed is taken over once its
   * lease ends. Running bodies renew their lease in the background. Same format as {@link #ttl()};
   * empty inherits from the policy.
   *
   * @return the lease duration
   */
  String lease() default "";

  /**
   * What a duplicate does while the first call is still running.
   *
   * @return the in-progress behaviour
   */
  OnInProgress onInProgress() default OnInProgress.DEFAULT;

  /**
   * The longest a {@link OnInProgress#WAIT waiting} duplicate blocks. Same format as {@link
   * #ttl()}; empty inherits from the policy.
   *
   * @return the wait timeout
   */
  String waitTimeout() default "";

  /**
   * Exception types that are outcomes, not failures: when the body throws one of them, it is stored
   * and rethrown (same type and message) to every retry, instead of releasing the key. Only the
   * types listed here are ever instantiated on replay. Empty inherits from the policy.
   *
   * @return the replayed exception types
   */
  Class<? extends Throwable>[] replayOn() default {};

  /**
   * The name of a policy registered in the configuration, whose values apply where this annotation
   * leaves an attribute at its default. Empty uses the global defaults only.
   *
   * @return the policy name
   */
  String policy() default "";
}

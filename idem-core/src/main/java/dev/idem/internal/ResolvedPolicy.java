package dev.idem.internal;

import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyPolicy;
import dev.idem.annotation.OnInProgress;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A policy with every setting decided: the operation's own settings over its named policy over the
 * configuration's defaults over the built-in policy.
 *
 * @param ttl record time to live
 * @param lease claim lease
 * @param onInProgress WAIT or REJECT
 * @param waitTimeout longest wait of a duplicate
 * @param replayOn exception types stored as outcomes
 * @param failOpen run unprotected when the store is down at claim time
 * @param nearCache serve replays from the near cache
 */
public record ResolvedPolicy(
    Duration ttl,
    Duration lease,
    OnInProgress onInProgress,
    Duration waitTimeout,
    List<Class<? extends Throwable>> replayOn,
    boolean failOpen,
    boolean nearCache) {

  /**
   * A resolved policy without near caching.
   *
   * @param ttl record time to live
   * @param lease claim lease
   * @param onInProgress WAIT or REJECT
   * @param waitTimeout longest wait of a duplicate
   * @param replayOn exception types stored as outcomes
   * @param failOpen run unprotected when the store is down at claim time
   */
  public ResolvedPolicy(
      Duration ttl,
      Duration lease,
      OnInProgress onInProgress,
      Duration waitTimeout,
      List<Class<? extends Throwable>> replayOn,
      boolean failOpen) {
    this(ttl, lease, onInProgress, waitTimeout, replayOn, failOpen, false);
  }

  /**
   * Resolves the policy of one operation.
   *
   * @param config the configuration
   * @param own the operation's own settings
   * @param policyName the named policy it refers to, or null/empty for none
   * @return the resolved policy
   * @throws IllegalArgumentException if the named policy is not registered
   */
  public static ResolvedPolicy resolve(
      IdempotencyConfig config, IdempotencyPolicy own, @Nullable String policyName) {
    IdempotencyPolicy merged = own;
    if (policyName != null && !policyName.isEmpty()) {
      IdempotencyPolicy named =
          config
              .policy(policyName)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "policy '"
                              + policyName
                              + "' is not registered; known policies: "
                              + config.policies().keySet()));
      merged = merged.orElse(named);
    }
    merged = merged.orElse(config.defaults()).orElse(IdempotencyPolicy.builtIn());
    return new ResolvedPolicy(
        merged.ttl().orElseThrow(),
        merged.lease().orElseThrow(),
        merged.onInProgress().orElseThrow(),
        merged.waitTimeout().orElseThrow(),
        merged.replayOn().orElseThrow(),
        merged.failOpen().orElseThrow(),
        merged.nearCache().orElseThrow());
  }

  /**
   * Returns the most specific listed type the exception is an instance of.
   *
   * @param exception the thrown exception
   * @return the listed type, or null if the exception is not replayed (Errors never are)
   */
  public @Nullable Class<? extends Throwable> replayedTypeOf(Throwable exception) {
    if (exception instanceof Error) {
      return null;
    }
    Class<? extends Throwable> best = null;
    for (Class<? extends Throwable> type : replayOn) {
      if (type.isInstance(exception) && (best == null || best.isAssignableFrom(type))) {
        best = type;
      }
    }
    return best;
  }
}

package dev.idem;

import dev.idem.annotation.OnInProgress;
import dev.idem.internal.Durations;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A set of idempotency settings: record time to live, lease, in-progress behaviour, wait timeout,
 * replayed exception types, fail-open and near caching. Every setting is optional; an unset one is
 * inherited, in this order: {@code @Idempotent} attribute, then the named policy, then the
 * configuration's defaults, then {@link #builtIn()}. Immutable.
 */
public final class IdempotencyPolicy {

  private static final IdempotencyPolicy EMPTY = new Builder().build();
  private static final IdempotencyPolicy BUILT_IN =
      new Builder()
          .ttl(Duration.ofHours(24))
          .lease(Duration.ofSeconds(30))
          .onInProgress(OnInProgress.WAIT)
          .waitTimeout(Duration.ofSeconds(10))
          .replayOn(List.of())
          .failOpen(false)
          .nearCache(false)
          .build();

  private final @Nullable Duration ttl;
  private final @Nullable Duration lease;
  private final @Nullable OnInProgress onInProgress;
  private final @Nullable Duration waitTimeout;
  private final @Nullable List<Class<? extends Throwable>> replayOn;
  private final @Nullable Boolean failOpen;
  private final @Nullable Boolean nearCache;

  private IdempotencyPolicy(Builder builder) {
    this.ttl = builder.ttl;
    this.lease = builder.lease;
    this.onInProgress = builder.onInProgress;
    this.waitTimeout = builder.waitTimeout;
    this.replayOn = builder.replayOn;
    this.failOpen = builder.failOpen;
    this.nearCache = builder.nearCache;
  }

  /**
   * Returns a builder with every setting unset.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a policy with every setting unset: everything is inherited.
   *
   * @return the empty policy
   */
  public static IdempotencyPolicy inherit() {
    return EMPTY;
  }

  /**
   * Returns the built-in defaults: ttl 24 hours, lease 30 seconds, {@link OnInProgress#WAIT} up to
   * 10 seconds, no replayed exceptions, fail closed, no near cache.
   *
   * @return the built-in policy
   */
  public static IdempotencyPolicy builtIn() {
    return BUILT_IN;
  }

  /**
   * Returns a policy with this policy's settings, and {@code fallback}'s where this one has none.
   *
   * @param fallback the policy to inherit from
   * @return the merged policy
   */
  public IdempotencyPolicy orElse(IdempotencyPolicy fallback) {
    Builder merged = new Builder();
    merged.ttl = ttl != null ? ttl : fallback.ttl;
    merged.lease = lease != null ? lease : fallback.lease;
    merged.onInProgress = onInProgress != null ? onInProgress : fallback.onInProgress;
    merged.waitTimeout = waitTimeout != null ? waitTimeout : fallback.waitTimeout;
    merged.replayOn = replayOn != null ? replayOn : fallback.replayOn;
    merged.failOpen = failOpen != null ? failOpen : fallback.failOpen;
    merged.nearCache = nearCache != null ? nearCache : fallback.nearCache;
    return merged.build();
  }

  /**
   * Returns how long a completed result is kept and replayed.
   *
   * @return the ttl, if set
   */
  public Optional<Duration> ttl() {
    return Optional.ofNullable(ttl);
  }

  /**
   * Returns how long a claim stays exclusive without renewal.
   *
   * @return the lease, if set
   */
  public Optional<Duration> lease() {
    return Optional.ofNullable(lease);
  }

  /**
   * Returns what a duplicate does while the first call runs.
   *
   * @return the behaviour, if set
   */
  public Optional<OnInProgress> onInProgress() {
    return Optional.ofNullable(onInProgress);
  }

  /**
   * Returns the longest a waiting duplicate blocks.
   *
   * @return the wait timeout, if set
   */
  public Optional<Duration> waitTimeout() {
    return Optional.ofNullable(waitTimeout);
  }

  /**
   * Returns the exception types stored and replayed as outcomes.
   *
   * @return the types, if set
   */
  public Optional<List<Class<? extends Throwable>>> replayOn() {
    return Optional.ofNullable(replayOn);
  }

  /**
   * Returns whether the body runs unprotected when the store is unreachable at claim time.
   *
   * @return the fail-open flag, if set
   */
  public Optional<Boolean> failOpen() {
    return Optional.ofNullable(failOpen);
  }

  /**
   * Returns whether replays are served from the near cache when it holds the completed record.
   *
   * @return the near-cache flag, if set
   */
  public Optional<Boolean> nearCache() {
    return Optional.ofNullable(nearCache);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IdempotencyPolicy other
        && Objects.equals(ttl, other.ttl)
        && Objects.equals(lease, other.lease)
        && onInProgress == other.onInProgress
        && Objects.equals(waitTimeout, other.waitTimeout)
        && Objects.equals(replayOn, other.replayOn)
        && Objects.equals(failOpen, other.failOpen)
        && Objects.equals(nearCache, other.nearCache);
  }

  @Override
  public int hashCode() {
    return Objects.hash(ttl, lease, onInProgress, waitTimeout, replayOn, failOpen, nearCache);
  }

  @Override
  public String toString() {
    return "IdempotencyPolicy[ttl="
        + ttl
        + ", lease="
        + lease
        + ", onInProgress="
        + onInProgress
        + ", waitTimeout="
        + waitTimeout
        + ", replayOn="
        + replayOn
        + ", failOpen="
        + failOpen
        + ", nearCache="
        + nearCache
        + "]";
  }

  /** Builds an {@link IdempotencyPolicy}. Unset settings are inherited. Not thread-safe. */
  public static final class Builder {
    private @Nullable Duration ttl;
    private @Nullable Duration lease;
    private @Nullable OnInProgress onInProgress;
    private @Nullable Duration waitTimeout;
    private @Nullable List<Class<? extends Throwable>> replayOn;
    private @Nullable Boolean failOpen;
    private @Nullable Boolean nearCache;

    private Builder() {}

    /**
     * Sets how long a completed result is kept and replayed.
     *
     * @param ttl a positive duration
     * @return this builder
     */
    public Builder ttl(Duration ttl) {
      this.ttl = Durations.requirePositive(ttl, "ttl");
      return this;
    }

    /**
     * Sets how long a claim stays exclusive without renewal; a crashed call is taken over after it.
     * Running bodies renew it every third of the lease.
     *
     * @param lease a positive duration
     * @return this builder
     */
    public Builder lease(Duration lease) {
      this.lease = Durations.requirePositive(lease, "lease");
      return this;
    }

    /**
     * Sets what a duplicate does while the first call runs.
     *
     * @param onInProgress {@link OnInProgress#WAIT} or {@link OnInProgress#REJECT}
     * @return this builder
     */
    public Builder onInProgress(OnInProgress onInProgress) {
      if (Objects.requireNonNull(onInProgress, "onInProgress") == OnInProgress.DEFAULT) {
        throw new IllegalArgumentException("a policy sets WAIT or REJECT; DEFAULT means inherit");
      }
      this.onInProgress = onInProgress;
      return this;
    }

    /**
     * Sets the longest a waiting duplicate blocks.
     *
     * @param waitTimeout a positive duration
     * @return this builder
     */
    public Builder waitTimeout(Duration waitTimeout) {
      this.waitTimeout = Durations.requirePositive(waitTimeout, "waitTimeout");
      return this;
    }

    /**
     * Sets the exception types stored and replayed as outcomes.
     *
     * @param types the types
     * @return this builder
     */
    @SafeVarargs
    public final Builder replayOn(Class<? extends Throwable>... types) {
      return replayOn(List.of(types));
    }

    /**
     * Sets the exception types stored and replayed as outcomes.
     *
     * @param types the types
     * @return this builder
     */
    public Builder replayOn(List<Class<? extends Throwable>> types) {
      for (Class<? extends Throwable> type : types) {
        if (Error.class.isAssignableFrom(type)) {
          throw new IllegalArgumentException(
              "Errors always release the key and cannot be replayed: " + type.getName());
        }
        dev.idem.internal.ResultCodec.checkInstantiable(type);
      }
      this.replayOn = List.copyOf(types);
      return this;
    }

    /**
     * Sets whether the body runs unprotected (and is counted in metrics) when the store is
     * unreachable at claim time. Off by default: Idem fails closed.
     *
     * @param failOpen true to fail open
     * @return this builder
     */
    public Builder failOpen(boolean failOpen) {
      this.failOpen = failOpen;
      return this;
    }

    /**
     * Sets whether completed records are kept in an in-JVM near cache in front of the store, so
     * that replays of the same key skip the store round trip (counted as {@code
     * outcome=replayed_near}). Only completed records are cached, and each is served no later than
     * its own expiry. The cache is sized by {@link
     * IdempotencyConfig.Builder#nearCache(NearCacheSettings)}, or {@link
     * NearCacheSettings#ofDefaults()} when the configuration does not size it. Off by default,
     * unless the configuration turns it on for every operation.
     *
     * @param nearCache true to serve replays from the near cache
     * @return this builder
     */
    public Builder nearCache(boolean nearCache) {
      this.nearCache = nearCache;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     */
    public IdempotencyPolicy build() {
      return new IdempotencyPolicy(this);
    }
  }
}

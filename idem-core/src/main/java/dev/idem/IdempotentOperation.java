package dev.idem;

import dev.idem.annotation.OnInProgress;
import dev.idem.internal.Engine;
import dev.idem.internal.Fingerprinter;
import dev.idem.internal.KeyValues;
import dev.idem.internal.Keys;
import dev.idem.internal.OperationSpec;
import dev.idem.internal.ResolvedPolicy;
import dev.idem.internal.ResultCodec;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An idempotent operation for code that does not use the annotation: the same semantics as an
 * {@code @Idempotent} method, for a lambda. Built once, validated once, used for many calls.
 * Thread-safe.
 *
 * <pre>{@code
 * IdempotentOperation<Receipt> charge = idempotency.operation("payments.charge", Receipt.class)
 *     .ttl(Duration.ofHours(24))
 *     .build();
 *
 * Receipt receipt = charge.execute(cmd.orderId(), cmd, () -> gateway.charge(cmd));
 * }</pre>
 *
 * @param <T> the result type
 */
public final class IdempotentOperation<T> {

  private final Idempotency idempotency;
  private final Engine engine;
  private final Fingerprinter fingerprinter;
  private final OperationSpec spec;

  private IdempotentOperation(
      Idempotency idempotency, Engine engine, Fingerprinter fingerprinter, OperationSpec spec) {
    this.idempotency = idempotency;
    this.engine = engine;
    this.fingerprinter = fingerprinter;
    this.spec = spec;
  }

  static <T> Builder<T> builder(
      Idempotency idempotency,
      Engine engine,
      Fingerprinter fingerprinter,
      String name,
      ResultType<T> resultType) {
    return new Builder<>(idempotency, engine, fingerprinter, name, resultType);
  }

  /**
   * Runs the body once per key: the first call with a key runs it and stores its outcome; every
   * later call with the key (while the record lives) gets that outcome without running it, and a
   * concurrent duplicate waits for it or is rejected, as the policy says.
   *
   * @param key the idempotency key; strings, numbers, UUIDs and enums are used as text, other
   *     values as canonical JSON
   * @param payload the request to fingerprint, so that the key reused with a different request
   *     fails with {@link IdempotencyKeyReuseException}; null for no check
   * @param body the body
   * @param <E> the checked exception the body may throw
   * @return the body's result, or the replayed one
   * @throws E what the body threw (or, on replay, the stored exception of a {@code replayOn} type)
   * @throws IdempotencyKeyException if the key is null, blank or has control characters
   * @throws IdempotencyKeyReuseException if the key was used with a different payload
   * @throws IdempotencyInProgressException if a duplicate is still running (REJECT, or WAIT timed
   *     out)
   * @throws IdempotencyStoreException if the store fails at claim time (the body did not run)
   * @throws IdempotencyReplayUnavailableException if the stored outcome cannot be replayed
   */
  @SuppressWarnings("unchecked")
  public <E extends Throwable> T execute(
      Object key, @Nullable Object payload, ThrowingSupplier<? extends T, E> body) throws E {
    Objects.requireNonNull(body, "body");
    String composed =
        Keys.compose(
            idempotency.config().keyPrefix(),
            spec.name(),
            idempotency.currentScope(),
            KeyValues.toKeyString(key, fingerprinter));
    String fingerprint = payload == null ? null : fingerprint(payload);
    try {
      return (T) engine.execute(spec, composed, fingerprint, body);
    } catch (IdempotencyStoreException e) {
      idempotency.storeFailed(spec.name(), composed, e);
      throw e;
    } catch (Throwable t) {
      throw Idempotency.<E>sneakyThrow(t);
    }
  }

  private String fingerprint(Object payload) {
    try {
      return fingerprinter.fingerprint(payload);
    } catch (IllegalArgumentException e) {
      throw IdempotencyConfigurationException.forMethod(
          spec.description(), "the payload cannot be converted to JSON for its fingerprint", e);
    }
  }

  /**
   * Returns the operation name, part of every key.
   *
   * @return the name
   */
  public String name() {
    return spec.name();
  }

  /**
   * Builds an {@link IdempotentOperation}. Unset settings are inherited from the named policy, then
   * the configuration's defaults. Not thread-safe.
   *
   * @param <T> the result type
   */
  public static final class Builder<T> {
    private final Idempotency idempotency;
    private final Engine engine;
    private final Fingerprinter fingerprinter;
    private final String name;
    private final ResultType<T> resultType;
    private final IdempotencyPolicy.Builder own = IdempotencyPolicy.builder();
    private @Nullable String policy;

    private Builder(
        Idempotency idempotency,
        Engine engine,
        Fingerprinter fingerprinter,
        String name,
        ResultType<T> resultType) {
      this.idempotency = idempotency;
      this.engine = engine;
      this.fingerprinter = fingerprinter;
      this.name = Keys.requireValidName(Objects.requireNonNull(name, "name"));
      this.resultType = Objects.requireNonNull(resultType, "resultType");
    }

    /**
     * Refers to a named policy registered in the configuration.
     *
     * @param policy the policy name
     * @return this builder
     */
    public Builder<T> policy(String policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Sets every setting that {@code settings} sets, as the single setters would; the settings it
     * leaves unset are not changed. For settings held as a policy, such as those an integration
     * reads from its own annotation with {@link PolicyAttributes}.
     *
     * @param settings the operation's own settings (not a named policy: see {@link
     *     #policy(String)})
     * @return this builder
     */
    public Builder<T> settings(IdempotencyPolicy settings) {
      settings.ttl().ifPresent(own::ttl);
      settings.lease().ifPresent(own::lease);
      settings.onInProgress().ifPresent(own::onInProgress);
      settings.waitTimeout().ifPresent(own::waitTimeout);
      settings.replayOn().ifPresent(own::replayOn);
      settings.failOpen().ifPresent(own::failOpen);
      settings.nearCache().ifPresent(own::nearCache);
      return this;
    }

    /**
     * Sets how long a completed result is kept and replayed.
     *
     * @param ttl a positive duration
     * @return this builder
     */
    public Builder<T> ttl(Duration ttl) {
      own.ttl(ttl);
      return this;
    }

    /**
     * Sets how long a claim stays exclusive without renewal.
     *
     * @param lease a positive duration
     * @return this builder
     */
    public Builder<T> lease(Duration lease) {
      own.lease(lease);
      return this;
    }

    /**
     * Sets what a duplicate does while the first call runs.
     *
     * @param onInProgress WAIT or REJECT
     * @return this builder
     */
    public Builder<T> onInProgress(OnInProgress onInProgress) {
      own.onInProgress(onInProgress);
      return this;
    }

    /**
     * Sets the longest a waiting duplicate blocks.
     *
     * @param waitTimeout a positive duration
     * @return this builder
     */
    public Builder<T> waitTimeout(Duration waitTimeout) {
      own.waitTimeout(waitTimeout);
      return this;
    }

    /**
     * Sets the exception types stored and replayed as outcomes.
     *
     * @param types the types
     * @return this builder
     */
    @SafeVarargs
    public final Builder<T> replayOn(Class<? extends Throwable>... types) {
      own.replayOn(List.of(types));
      return this;
    }

    /**
     * Sets whether replays are served from the near cache; see {@link
     * IdempotencyPolicy.Builder#nearCache(boolean)}.
     *
     * @param nearCache true to serve replays from the near cache
     * @return this builder
     */
    public Builder<T> nearCache(boolean nearCache) {
      own.nearCache(nearCache);
      return this;
    }

    /**
     * Builds and validates the operation.
     *
     * @return the operation
     * @throws IdempotencyConfigurationException if the policy is unknown or the result type cannot
     *     be replayed
     */
    public IdempotentOperation<T> build() {
      String where = "operation '" + name + "'";
      IdempotencyConfig config = idempotency.config();
      try {
        ResolvedPolicy resolved = ResolvedPolicy.resolve(config, own.build(), policy);
        ResultCodec codec =
            ResultCodec.forType(config.objectMapper(), resultType.type(), config.maxResultBytes());
        return new IdempotentOperation<>(
            idempotency, engine, fingerprinter, new OperationSpec(name, where, resolved, codec));
      } catch (IllegalArgumentException e) {
        throw IdempotencyConfigurationException.forMethod(where, e.getMessage());
      }
    }
  }
}

package dev.idem;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idem.internal.Durations;
import dev.idem.internal.Keys;
import dev.idem.internal.Mappers;
import dev.idem.spi.IdempotencyStore;
import dev.idem.store.NearCachingStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The configuration of an {@link Idempotency} instance: the store, default and named policies, key
 * prefix and scope, result encoding, time source, near cache, metrics and listeners. Immutable;
 * validated when built.
 *
 * <pre>{@code
 * IdempotencyConfig config = IdempotencyConfig.builder()
 *     .store(InMemoryIdempotencyStore.create())
 *     .defaults(IdempotencyPolicy.builder().ttl(Duration.ofHours(24)).build())
 *     .policy("payments", IdempotencyPolicy.builder().onInProgress(OnInProgress.REJECT).build())
 *     .build();
 * }</pre>
 */
public final class IdempotencyConfig {

  /** The default limit on an encoded result, above which it is recorded as dropped: 1 MiB. */
  public static final int DEFAULT_MAX_RESULT_BYTES = 1 << 20;

  private final IdempotencyStore store;
  private final Clock clock;
  private final String keyPrefix;
  private final @Nullable Supplier<@Nullable String> scopeSupplier;
  private final IdempotencyPolicy defaults;
  private final Map<String, IdempotencyPolicy> policies;
  private final ObjectMapper objectMapper;
  private final int maxResultBytes;
  private final String owner;
  private final Duration initialPollInterval;
  private final Duration maxPollInterval;
  private final @Nullable NearCacheSettings nearCache;
  private final @Nullable MeterRegistry meterRegistry;
  private final List<IdempotencyListener> listeners;
  private final boolean closeStoreOnClose;

  private IdempotencyConfig(Builder builder) {
    this.clock = builder.clock;
    this.store =
        builder.store != null
            ? builder.store
            : InMemoryIdempotencyStore.builder().clock(builder.clock).build();
    this.closeStoreOnClose = builder.store == null || builder.closeStoreOnClose;
    this.keyPrefix = builder.keyPrefix;
    this.scopeSupplier = builder.scopeSupplier;
    this.nearCache = builder.nearCache;
    this.meterRegistry = builder.meterRegistry;
    this.listeners = List.copyOf(builder.listeners);
    if (nearCache != null && store instanceof NearCachingStore) {
      throw new IllegalStateException(
          "the store is already a NearCachingStore: configure its cache there or with"
              + " nearCache(...), not both");
    }
    IdempotencyPolicy base = IdempotencyPolicy.builtIn();
    if (nearCache != null || store instanceof NearCachingStore) {
      base = IdempotencyPolicy.builder().nearCache(true).build().orElse(base);
    }
    this.defaults = builder.defaults.orElse(base);
    this.policies = Map.copyOf(builder.policies);
    this.objectMapper =
        builder.objectMapper != null
            ? Mappers.harden(builder.objectMapper)
            : Mappers.defaultMapper();
    this.maxResultBytes = builder.maxResultBytes;
    this.owner = builder.owner != null ? builder.owner : defaultOwner();
    this.initialPollInterval = builder.initialPollInterval;
    this.maxPollInterval = builder.maxPollInterval;
    if (initialPollInterval.compareTo(maxPollInterval) > 0) {
      throw new IllegalStateException(
          "initial poll interval "
              + initialPollInterval
              + " exceeds the maximum "
              + maxPollInterval);
    }
  }

  /**
   * Returns a builder with the defaults: an in-memory store, the system UTC clock, prefix {@code
   * idem}, no scope, the {@linkplain IdempotencyPolicy#builtIn() built-in policy}.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the configuration with every default: an in-memory store and the built-in policy.
   *
   * @return the configuration
   */
  public static IdempotencyConfig ofDefaults() {
    return builder().build();
  }

  /**
   * Returns the store records are kept in.
   *
   * @return the store
   */
  public IdempotencyStore store() {
    return store;
  }

  /**
   * Returns the time source.
   *
   * @return the clock
   */
  public Clock clock() {
    return clock;
  }

  /**
   * Returns the prefix of every composed key.
   *
   * @return the key prefix
   */
  public String keyPrefix() {
    return keyPrefix;
  }

  /**
   * Returns the supplier of the current scope (tenant, principal), inserted into every key.
   *
   * @return the supplier, if configured
   */
  public Optional<Supplier<@Nullable String>> scopeSupplier() {
    return Optional.ofNullable(scopeSupplier);
  }

  /**
   * Returns the defaults, completed with the built-in policy: every setting is present. Near
   * caching defaults to on when the configuration sets a {@linkplain #nearCache() near cache} or
   * its store is a {@link NearCachingStore}.
   *
   * @return the default policy
   */
  public IdempotencyPolicy defaults() {
    return defaults;
  }

  /**
   * Returns a named policy as registered (unset settings inherit from {@link #defaults()}).
   *
   * @param name the policy name
   * @return the policy, if registered
   */
  public Optional<IdempotencyPolicy> policy(String name) {
    return Optional.ofNullable(policies.get(name));
  }

  /**
   * Returns all named policies.
   *
   * @return the policies by name
   */
  public Map<String, IdempotencyPolicy> policies() {
    return policies;
  }

  /**
   * Returns the hardened mapper used for results and fingerprints.
   *
   * @return the mapper
   */
  public ObjectMapper objectMapper() {
    return objectMapper;
  }

  /**
   * Returns the limit on an encoded result; larger results are recorded as dropped.
   *
   * @return the limit in bytes
   */
  public int maxResultBytes() {
    return maxResultBytes;
  }

  /**
   * Returns the identity of this node, stored as the owner of its claims for diagnostics.
   *
   * @return the owner
   */
  public String owner() {
    return owner;
  }

  /**
   * Returns the first interval at which a waiting duplicate polls the store.
   *
   * @return the initial poll interval
   */
  public Duration initialPollInterval() {
    return initialPollInterval;
  }

  /**
   * Returns the longest interval between two polls of a waiting duplicate.
   *
   * @return the maximum poll interval
   */
  public Duration maxPollInterval() {
    return maxPollInterval;
  }

  /**
   * Returns the size and time to live of the near cache, when the configuration sets them. When
   * set, every operation uses the near cache unless its policy says {@code nearCache(false)}.
   *
   * @return the near cache settings, if set
   */
  public Optional<NearCacheSettings> nearCache() {
    return Optional.ofNullable(nearCache);
  }

  /**
   * Returns the registry Idem's meters are recorded in (see {@link IdempotencyMetrics}).
   *
   * @return the registry, if configured
   */
  public Optional<MeterRegistry> meterRegistry() {
    return Optional.ofNullable(meterRegistry);
  }

  /**
   * Returns the listeners told how every call ended, in the order they were added.
   *
   * @return the listeners; empty if none was added
   */
  public List<IdempotencyListener> listeners() {
    return listeners;
  }

  /**
   * Returns whether {@link Idempotency#close()} closes the {@linkplain #store() store}: true for
   * the in-memory store Idem created because none was set, and for a store set together with {@link
   * Builder#closeStoreOnClose(boolean) closeStoreOnClose(true)}; false for a store the application
   * passed in and closes itself.
   *
   * @return whether the store belongs to the {@link Idempotency} instances built on this
   *     configuration
   */
  public boolean closeStoreOnClose() {
    return closeStoreOnClose;
  }

  private static String defaultOwner() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "unknown-host";
    }
    return ProcessHandle.current().pid() + "@" + host;
  }

  /** Builds an {@link IdempotencyConfig}. Not thread-safe. */
  public static final class Builder {
    private @Nullable IdempotencyStore store;
    private Clock clock = Clock.systemUTC();
    private String keyPrefix = "idem";
    private @Nullable Supplier<@Nullable String> scopeSupplier;
    private IdempotencyPolicy defaults = IdempotencyPolicy.inherit();
    private final Map<String, IdempotencyPolicy> policies = new LinkedHashMap<>();
    private @Nullable ObjectMapper objectMapper;
    private int maxResultBytes = DEFAULT_MAX_RESULT_BYTES;
    private @Nullable String owner;
    private Duration initialPollInterval = Duration.ofMillis(10);
    private Duration maxPollInterval = Duration.ofMillis(500);
    private @Nullable NearCacheSettings nearCache;
    private @Nullable MeterRegistry meterRegistry;
    private final List<IdempotencyListener> listeners = new ArrayList<>();
    private boolean closeStoreOnClose;

    private Builder() {}

    /**
     * Sets the store. Without one, an in-memory store on this builder's clock is used. The store
     * stays the application's: {@link Idempotency#close()} leaves it open unless {@link
     * #closeStoreOnClose(boolean) closeStoreOnClose(true)} hands it over.
     *
     * @param store the store
     * @return this builder
     */
    public Builder store(IdempotencyStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * Sets the time source (also used by the default in-memory store).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets the prefix of every key, to separate applications sharing a store.
     *
     * @param keyPrefix 1-32 letters, digits, {@code . _ -}
     * @return this builder
     */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = Keys.requireValidPrefix(Objects.requireNonNull(keyPrefix, "keyPrefix"));
      return this;
    }

    /**
     * Sets the supplier of the current scope, such as the tenant or the authenticated principal,
     * which is inserted into every key so that two tenants never share a record. It must come from
     * the caller's security context, never from the request body. Returning null means no scope for
     * that call.
     *
     * @param scopeSupplier the supplier
     * @return this builder
     */
    public Builder scopeSupplier(Supplier<@Nullable String> scopeSupplier) {
      this.scopeSupplier = Objects.requireNonNull(scopeSupplier, "scopeSupplier");
      return this;
    }

    /**
     * Sets the default policy; its unset settings fall back to {@link IdempotencyPolicy#builtIn()}.
     *
     * @param defaults the default policy
     * @return this builder
     */
    public Builder defaults(IdempotencyPolicy defaults) {
      this.defaults = Objects.requireNonNull(defaults, "defaults");
      return this;
    }

    /**
     * Registers a named policy, referred to by {@code @Idempotent(policy = name)}.
     *
     * @param name the policy name
     * @param policy the policy; unset settings inherit from the defaults
     * @return this builder
     */
    public Builder policy(String name, IdempotencyPolicy policy) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(policy, "policy");
      if (name.isBlank()) {
        throw new IllegalArgumentException("policy name must not be blank");
      }
      if (policies.putIfAbsent(name, policy) != null) {
        throw new IllegalStateException("policy '" + name + "' is registered twice");
      }
      return this;
    }

    /**
     * Sets the Jackson mapper for results and fingerprints (for custom modules). Idem uses a
     * hardened copy: default typing off, no class names read from stored data.
     *
     * @param objectMapper the mapper
     * @return this builder
     */
    public Builder objectMapper(ObjectMapper objectMapper) {
      this.objectMapper = Objects.requireNonNull(objectMapper, "objectMapper");
      return this;
    }

    /**
     * Sets the limit on an encoded result; larger results are recorded as dropped (the first caller
     * still gets its value, retries get {@link IdempotencyReplayUnavailableException}).
     *
     * @param maxResultBytes a positive number of bytes
     * @return this builder
     */
    public Builder maxResultBytes(int maxResultBytes) {
      if (maxResultBytes <= 0) {
        throw new IllegalArgumentException("maxResultBytes must be positive: " + maxResultBytes);
      }
      this.maxResultBytes = maxResultBytes;
      return this;
    }

    /**
     * Sets the identity of this node stored with its claims (default {@code pid@hostname}).
     *
     * @param owner a non-blank identity
     * @return this builder
     */
    public Builder owner(String owner) {
      if (Objects.requireNonNull(owner, "owner").isBlank()) {
        throw new IllegalArgumentException("owner must not be blank");
      }
      this.owner = owner;
      return this;
    }

    /**
     * Sets how a waiting duplicate polls a store: starting at {@code initial}, doubling up to
     * {@code max}, with jitter. Stores with completion notification wake waiters earlier.
     *
     * @param initial the first interval (default 10 ms)
     * @param max the longest interval (default 500 ms)
     * @return this builder
     */
    public Builder waitPolling(Duration initial, Duration max) {
      this.initialPollInterval = Durations.requirePositive(initial, "initial poll interval");
      this.maxPollInterval = Durations.requirePositive(max, "max poll interval");
      return this;
    }

    /**
     * Puts a near cache of completed records in front of the store and turns it on for every
     * operation whose policy does not say {@link IdempotencyPolicy.Builder#nearCache(boolean)
     * nearCache(false)}. Replays of keys whose record it holds skip the store round trip; records
     * in progress are never cached, and each cached record is served no later than its own expiry.
     * To use it for a few operations only, set it here and {@code nearCache(false)} in {@link
     * #defaults(IdempotencyPolicy)}, then {@code nearCache(true)} in their policies.
     *
     * @param settings the cache's size and time to live
     * @return this builder
     * @see dev.idem.store.NearCachingStore
     */
    public Builder nearCache(NearCacheSettings settings) {
      this.nearCache = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * Sets the Micrometer registry Idem records its meters in (see {@link IdempotencyMetrics}).
     * Without one, nothing is recorded and calls pay nothing for metrics. Micrometer is an optional
     * dependency of idem-core: an application that does not call this method needs no Micrometer on
     * its class path.
     *
     * @param meterRegistry the registry
     * @return this builder
     */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
      return this;
    }

    /**
     * Adds a listener told how every call ended, for tracing, auditing or metrics of one's own.
     * Listeners are told in the order they were added, after Idem's own meters are recorded.
     * Without a listener and a {@linkplain #meterRegistry meter registry}, calls read no clock for
     * them.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(IdempotencyListener listener) {
      this.listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Hands the {@linkplain #store(IdempotencyStore) store} over to Idem: {@link
     * Idempotency#close()} (and {@link Idempotency#unconfigure()}) then close it too. Use it for a
     * store created only for Idem, such as {@code RedissonIdempotencyStore.fromUrl(url)}, whose
     * Redis client runs non-daemon threads that keep the JVM alive until the store is closed. The
     * default is false: a store the application passes in, the application closes. The in-memory
     * store Idem creates when no store is set is always closed by Idem.
     *
     * @param closeStoreOnClose whether closing the {@link Idempotency} instance closes the store
     * @return this builder
     */
    public Builder closeStoreOnClose(boolean closeStoreOnClose) {
      this.closeStoreOnClose = closeStoreOnClose;
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @return the configuration
     * @throws IllegalStateException if settings conflict, such as a near cache set both here and on
     *     the store
     */
    public IdempotencyConfig build() {
      return new IdempotencyConfig(this);
    }
  }
}

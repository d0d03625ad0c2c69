package dev.idem.store.redis;

import static dev.idem.store.redis.RecordReplies.positiveMillis;

import dev.idem.IdempotencyStoreException;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.IdempotencyStore;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.redisson.api.RScript;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.api.listener.MessageListener;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.codec.StringCodec;

/**
 * An {@link IdempotencyStore} on Redis through Redisson: standalone, Sentinel, or Redis Cluster,
 * whatever topology the given {@link RedissonClient} is configured for.
 *
 * <pre>{@code
 * IdempotencyStore store = RedissonIdempotencyStore.of(redissonClient);      // the app's client
 * IdempotencyStore store = RedissonIdempotencyStore.fromUrl("redis://localhost:6379"); // owns one
 * }</pre>
 *
 * <p><b>Records.</b> A record is one Redis hash at {@code <prefix>{<key>}} (prefix {@code idem:} by
 * default) with the fields {@code state, token, owner, fingerprint, lease_until, outcome_kind,
 * outcome, created_at, expires_at}; times are epoch milliseconds of the Redis server, and the hash
 * expires at {@code expires_at} ({@code PEXPIREAT}), so Redis removes expired records by itself.
 * The key is wrapped in a hash tag, so each record maps to one Redis Cluster slot and no operation
 * can ever span slots. A released record stays until its expiry as a {@code RELEASED} tombstone
 * holding only its token, so that the next claim issues a larger one.
 *
 * <p><b>Operations.</b> Each SPI operation is one Lua script, run with {@code EVALSHA} on the
 * master that owns the key ({@code READ_WRITE}, never a replica), in one round trip; a server that
 * does not know a script yet answers {@code NOSCRIPT} and the script is loaded and run again.
 * Scripts read the time with {@code TIME}, so leases and expiries use the Redis clock, never the
 * JVM's. A claim's token is {@code max(previous token + 1, TIME in microseconds)}, computed and
 * written inside the claim script: strictly increasing per key across takeovers and releases, and
 * across expiry as long as the Redis clock does not step back by more than the record's
 * time-to-live. Complete, release and renew compare the token and state before writing anything
 * (fencing). Redis Cluster {@code MOVED} and {@code ASK} redirects are followed by Redisson. The
 * scripts read a record with one {@code HMGET} and reply with as little as possible: an integer,
 * or, for a claim that finds a live record and for a find, the record's field values in a fixed
 * order (no field names).
 *
 * <p><b>Encoding.</b> Arguments and replies are bytes ({@link ByteArrayCodec}); numbers travel as
 * decimal text, owner and fingerprint as UTF-8, outcomes untouched. The client's own codec is never
 * used, so nothing read from Redis can instantiate a class.
 *
 * <p><b>Notification.</b> {@link #completionNotifier()} wakes waiting duplicates: the complete and
 * release scripts {@code PUBLISH} the record's Redis key on the channel {@code
 * <prefix>completions}, which the store subscribes to once, on the first wait (plain pub/sub,
 * broadcast to every node of a cluster). The engine still polls slowly, so a lost message only
 * delays a waiter.
 *
 * <p><b>Failures.</b> Every failure of Redis or Redisson surfaces as {@link
 * IdempotencyStoreException} with the driver's exception as the cause; a failed claim may or may
 * not have been made, and the caller must not run the body. A hash at a record's key that the store
 * did not write as it is (an unknown state, no state, a token, lease or expiry that is not a
 * number, an outcome kind it does not know) fails every operation the same way, and is neither
 * taken for an absent record nor overwritten: records fail closed. The same store object works
 * again as soon as Redis is reachable. How fast a dead server is detected depends on the client's
 * timeouts: a client built by {@link #fromUrl} or {@link Builder#url} gives up after about one
 * {@link Builder#timeout timeout} (one second by default); for the application's own client, keep
 * {@code timeout}, {@code connectTimeout}, {@code retryAttempts} and {@code retryDelay} small
 * (Redisson's defaults add up to tens of seconds).
 *
 * <p><b>Threads and connections.</b> The store starts no thread of its own and holds no connection
 * of its own. Each operation in flight borrows one connection from the client's pool of the key's
 * master; notifications take one connection of the client's subscription pool (on the first wait)
 * and run their listeners on the client's executor ({@code Config.threads}). A client built from a
 * URL uses 2 executor threads, at most 4 Netty threads, a pool of 2 to 16 connections and one
 * subscription connection, and is shut down by {@link #close()}. An application's client is left
 * open.
 *
 * <p>Instances are thread-safe.
 */
public final class RedissonIdempotencyStore extends ScriptedRedisStore {

  /** The store name, used in metrics and error messages. */
  static final String NAME = "redis";

  /** The key prefix used unless the builder sets another. */
  public static final String DEFAULT_KEY_PREFIX = "idem:";

  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

  private final RedissonClient client;
  private final boolean ownsClient;
  private final String keyPrefix;
  private final RScript script;
  private final PubSubCompletionNotifier notifier;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RedissonIdempotencyStore(
      RedissonClient client, boolean ownsClient, String keyPrefix, Duration subscribeTimeout) {
    super(keyPrefix + "completions");
    this.client = client;
    this.ownsClient = ownsClient;
    this.keyPrefix = keyPrefix;
    this.script = client.getScript(ByteArrayCodec.INSTANCE);
    this.notifier =
        new PubSubCompletionNotifier(
            new RedissonChannel(client.getTopic(channel(), StringCodec.INSTANCE)),
            this::redisKey,
            subscribeTimeout.toMillis());
  }

  /**
   * Returns a store on the application's client, with the default key prefix. {@link #close()}
   * leaves the client open.
   *
   * @param client the Redisson client, configured for any topology
   * @return the store
   */
  public static RedissonIdempotencyStore of(RedissonClient client) {
    return builder().client(client).build();
  }

  /**
   * Returns a store on a client of its own for one Redis server, with fail-fast timeouts and the
   * default key prefix; {@link #close()} shuts the client down. For Sentinel or Cluster, configure
   * a {@link RedissonClient} and use {@link #of}.
   *
   * @param url the server, {@code redis://host:port} or {@code rediss://host:port} for TLS, with
   *     optional {@code user:password@}
   * @return the store
   */
  public static RedissonIdempotencyStore fromUrl(String url) {
    return builder().url(url).build();
  }

  /**
   * Returns a builder of stores.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the pub/sub notifier that wakes waiters when a record is completed or released.
   *
   * @return the notifier, always present
   */
  @Override
  public Optional<CompletionNotifier> completionNotifier() {
    return Optional.of(notifier);
  }

  /**
   * Unsubscribes from the completion channel and, if the store built its client from a URL, shuts
   * the client down. An application's client is left open. Closing twice has no effect; a closed
   * store fails every operation.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      notifier.close();
      if (ownsClient) {
        client.shutdown();
      }
    }
  }

  /**
   * Returns the Redis key of a record: the prefix, then the key inside a hash tag.
   *
   * @param key the composed key
   * @return the Redis key
   */
  String redisKey(String key) {
    return keyPrefix + "{" + key + "}";
  }

  /**
   * Returns the pub/sub channel of completion and release messages.
   *
   * @return the channel name
   */
  String channel() {
    return keyPrefix + "completions";
  }

  PubSubCompletionNotifier notifier() {
    return notifier;
  }

  RedissonClient client() {
    return client;
  }

  @Override
  Object run(String operation, LuaScript lua, String key, byte[]... args) {
    if (closed.get()) {
      throw IdempotencyStoreException.of(NAME, operation, "the store is closed");
    }
    String redisKey = redisKey(key);
    try {
      return lua.run(script, redisKey, args);
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(NAME, operation, DriverFailures.redact(e, redisKey));
    }
  }

  /** The completion channel as a Redisson topic with one listener. */
  private record RedissonChannel(RTopic topic) implements PubSubCompletionNotifier.Channel {
    @Override
    public CompletableFuture<?> subscribe(Consumer<String> onMessage) {
      MessageListener<String> listener = (channel, redisKey) -> onMessage.accept(redisKey);
      return topic.addListenerAsync(String.class, listener).toCompletableFuture();
    }

    @Override
    public void unsubscribe(CompletableFuture<?> subscription) {
      subscription.thenAccept(
          id -> {
            if (id instanceof Integer listenerId) {
              topic.removeListenerAsync(listenerId);
            }
          });
    }
  }

  /**
   * Builds a {@link RedissonIdempotencyStore}. Give it either the application's {@link
   * RedissonClient} or a URL to build a client of its own from, not both.
   */
  public static final class Builder {

    private @Nullable RedissonClient client;
    private @Nullable String url;
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private Duration timeout = DEFAULT_TIMEOUT;

    private Builder() {}

    /**
     * Sets the application's client, which the store uses and never shuts down.
     *
     * @param client the client, configured for any topology
     * @return this builder
     */
    public Builder client(RedissonClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Sets the URL of one Redis server to build a client for; the store owns that client and shuts
     * it down on {@link RedissonIdempotencyStore#close()}.
     *
     * @param url {@code redis://host:port} or {@code rediss://host:port}
     * @return this builder
     * @throws IllegalArgumentException if the URL is not a redis or rediss URL
     */
    public Builder url(String url) {
      Objects.requireNonNull(url, "url");
      if (!url.startsWith("redis://") && !url.startsWith("rediss://")) {
        throw new IllegalArgumentException("not a redis:// or rediss:// URL");
      }
      this.url = url;
      return this;
    }

    /**
     * Sets the prefix of every Redis key and of the completion channel; default {@value
     * RedissonIdempotencyStore#DEFAULT_KEY_PREFIX}. Stores that share a prefix share records.
     *
     * @param keyPrefix the prefix, possibly empty; no braces, which would break the hash tag
     * @return this builder
     * @throws IllegalArgumentException if the prefix contains a brace
     */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
        throw new IllegalArgumentException("a key prefix must not contain braces: " + keyPrefix);
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * Sets the connect and response timeout of a client built from a {@link #url}, and how long a
     * first wait waits for the completion channel's subscription; default one second.
     *
     * @param timeout the timeout; positive, below 2^31 milliseconds
     * @return this builder
     * @throws IllegalArgumentException if the timeout is not positive or too long
     */
    public Builder timeout(Duration timeout) {
      long millis = positiveMillis(timeout, "timeout");
      if (millis > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("timeout is too long: " + timeout);
      }
      this.timeout = Duration.ofMillis(millis);
      return this;
    }

    /**
     * Builds the store. Building never contacts Redis.
     *
     * @return the store
     * @throws IllegalStateException if neither or both of a client and a URL were given
     */
    public RedissonIdempotencyStore build() {
      if ((client == null) == (url == null)) {
        throw new IllegalStateException("give the builder either a client or a url");
      }
      if (client != null) {
        return new RedissonIdempotencyStore(client, false, keyPrefix, timeout);
      }
      return new RedissonIdempotencyStore(
          RedissonClients.standalone(Objects.requireNonNull(url), timeout),
          true,
          keyPrefix,
          timeout);
    }
  }
}

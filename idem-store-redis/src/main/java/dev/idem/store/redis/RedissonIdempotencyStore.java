package dev.idem.store.redis;

import static dev.idem.store.redis.RecordCodec.positiveMillis;

import dev.idem.IdempotencyStoreException;
import dev.idem.spi.IdempotencyStore;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.NameMapper;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.api.listener.MessageListener;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.RedisCommand;
import org.redisson.command.CommandAsyncExecutor;

/**
 * An {@link IdempotencyStore} on Redis through Redisson: standalone, Sentinel, or Redis Cluster,
 * whatever topology the given {@link RedissonClient} is configured for.
 *
 * <pre>{@code
 * IdempotencyStore store = RedissonIdempotencyStore.of(redissonClient);      // the app's client
 * IdempotencyStore store = RedissonIdempotencyStore.fromUrl("redis://localhost:6379"); // owns one
 * }</pre>
 *
 * <p><b>Records.</b> A record is one Redis string at {@code <prefix>{<key>}} (prefix {@code idem:}
 * by default) holding the whole record in a compact binary layout: a magic and version prefix, the
 * state ({@code IN_PROGRESS}, {@code COMPLETED}, or a {@code RELEASED} tombstone), the token, two
 * times, owner and fingerprint, and the outcome bytes last. The key expires with the record, so
 * Redis removes expired records by itself and never returns one. The key is wrapped in a hash tag,
 * so each record maps to one Redis Cluster slot and no operation can ever span slots. Requires
 * Redis 7.0 or later ({@code SET … NX GET}, {@code PEXPIRETIME}).
 *
 * <p><b>Operations.</b> A claim is one plain {@code SET key record NX PX max(lease, ttl) GET}: an
 * absent key is acquired, and a completed record comes back in the same reply and is replayed from
 * it, so a first claim and a replay each cost one command and no script. Only when the reply is an
 * in-progress record or a tombstone does the claim run a second step, the {@code claim} script
 * (live lease, takeover). Complete, release, renew, find and delete are Lua scripts that compare
 * the state and token before writing anything (fencing), run with {@code EVALSHA} on the master
 * that owns the key ({@code READ_WRITE}, never a replica); a server that does not know a script yet
 * answers {@code NOSCRIPT} and the script is loaded and run again. Redis Cluster {@code MOVED} and
 * {@code ASK} redirects are followed by Redisson.
 *
 * <p><b>Time.</b> Leases and expiries use the Redis clock, never the JVM's: an in-progress record
 * stores durations (its lifetime, and how long before its expiry its lease ends), and its instants
 * are read from the key's expiry, which Redis set from the claim's {@code PX} ({@code
 * PEXPIRETIME}); the scripts that write instants read {@code TIME}. Renewal moves the key's expiry
 * and the lease together.
 *
 * <p><b>Tokens.</b> A claim of an absent key chooses its token on the client, since a plain {@code
 * SET} writes it: the JVM's clock in microseconds, or one more than the last token this JVM issued
 * if that is larger. A takeover, and a claim over a tombstone, take {@code max(previous token + 1,
 * Redis TIME in microseconds)} inside the script. So tokens grow strictly per key across takeovers,
 * releases and forced deletions (which leave a tombstone with the token until the record's expiry).
 * Only when a key's value has vanished entirely (expired) does a token not follow from the previous
 * one; the previous value then lived at least {@code ttl} after its last token was issued ({@code
 * PX} is {@code max(lease, ttl)}, a completion lives {@code ttl}, a tombstone keeps the remaining
 * expiry), so a new token is larger than every earlier token of the key unless the claiming JVM's
 * clock is behind the clock that issued the earlier token (another JVM's, or Redis's) by more than
 * that {@code ttl}. Fencing compares tokens for equality, so a stale holder can act on a new record
 * only if its token equals the new one to the microsecond, which needs that same skew to the
 * microsecond.
 *
 * <p><b>Encoding.</b> Arguments and replies are bytes ({@link ByteArrayCodec}), also for the
 * claim's {@code SET}, which goes through Redisson's command executor (the client must be made by
 * {@link Redisson#create}). The client's own codec is never used, so nothing read from Redis can
 * instantiate a class.
 *
 * <p><b>Notification.</b> {@link #completionNotifier()} wakes waiting duplicates: a waiter marks
 * the record it waits for as watched (the {@code watch} script, sent without waiting for its
 * reply), and the complete and release scripts of a watched record {@code PUBLISH} its Redis key on
 * the channel {@code <prefix>completions}, which the store subscribes to once, on the first wait
 * (plain pub/sub, broadcast to every node of a cluster). A completion nobody waits for publishes
 * nothing. The engine still polls slowly, so a lost message only delays a waiter.
 *
 * <p><b>Failures.</b> Every failure of Redis or Redisson surfaces as {@link
 * IdempotencyStoreException} with the driver's exception as the cause; a failed claim may or may
 * not have been made, and the caller must not run the body. A value at a record's key that the
 * store did not write as it is (no magic or another version, an unknown state or outcome kind,
 * lengths that do not add up, no expiry) or a key of another type (a 0.1 hash, {@code WRONGTYPE})
 * fails every operation but {@link #delete} the same way, and is neither taken for an absent record
 * nor overwritten: records fail closed. The same store object works again as soon as Redis is
 * reachable. How fast a dead server is detected depends on the client's timeouts: a client built by
 * {@link #fromUrl} or {@link Builder#url} gives up after about one {@link Builder#timeout timeout}
 * (one second by default); for the application's own client, keep {@code timeout}, {@code
 * connectTimeout}, {@code retryAttempts} and {@code retryDelay} small (Redisson's defaults add up
 * to tens of seconds).
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
public final class RedissonIdempotencyStore extends RedisRecordStore {

  /** The store name, used in metrics and error messages. */
  static final String NAME = "redis";

  /** The key prefix used unless the builder sets another. */
  public static final String DEFAULT_KEY_PREFIX = "idem:";

  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

  /** {@code SET key value NX PX ms GET}, whose reply is the previous value (bytes) or null. */
  private static final RedisCommand<Object> SET_GET = new RedisCommand<>("SET");

  private static final byte[] NX = {'N', 'X'};
  private static final byte[] PX = {'P', 'X'};
  private static final byte[] GET = {'G', 'E', 'T'};

  private final RedissonClient client;
  private final CommandAsyncExecutor commands;
  private final NameMapper nameMapper;
  private final boolean ownsClient;
  private final RScript script;

  private RedissonIdempotencyStore(
      RedissonClient client, boolean ownsClient, String keyPrefix, Duration subscribeTimeout) {
    super(
        keyPrefix,
        new RedissonChannel(client.getTopic(completionChannel(keyPrefix), StringCodec.INSTANCE)),
        subscribeTimeout);
    this.client = client;
    this.commands = ((Redisson) client).getCommandExecutor();
    this.nameMapper = commands.getServiceManager().getConfig().getNameMapper();
    this.ownsClient = ownsClient;
    this.script = client.getScript(ByteArrayCodec.INSTANCE);
  }

  /**
   * Returns a store on the application's client, with the default key prefix. {@link #close()}
   * leaves the client open.
   *
   * @param client the Redisson client, configured for any topology
   * @return the store
   * @throws IllegalArgumentException if the client is not a {@link Redisson} instance
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

  @Override
  void closeClient() {
    if (ownsClient) {
      client.shutdown();
    }
  }

  RedissonClient client() {
    return client;
  }

  @Override
  byte @Nullable [] setIfAbsent(String key, byte[] record, long pxMillis) {
    requireOpen("claim");
    String redisKey = redisKey(key);
    try {
      // mapped as RScript maps the keys of the scripts
      String mapped = nameMapper.map(redisKey);
      RFuture<Object> reply =
          commands.writeAsync(
              mapped,
              ByteArrayCodec.INSTANCE,
              SET_GET,
              mapped,
              record,
              NX,
              PX,
              RecordCodec.ascii(pxMillis),
              GET);
      Object previous = commands.get(reply);
      if (previous == null || previous instanceof byte[]) {
        return (byte[]) previous;
      }
      throw new IllegalStateException("unexpected reply " + previous.getClass().getSimpleName());
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(NAME, "claim", DriverFailures.redact(e, redisKey));
    }
  }

  @Override
  Object run(String operation, LuaScript lua, String key, byte[]... args) {
    requireOpen(operation);
    String redisKey = redisKey(key);
    try {
      return lua.run(script, redisKey, args);
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(NAME, operation, DriverFailures.redact(e, redisKey));
    }
  }

  @Override
  CompletionStage<Object> runAsync(LuaScript lua, String key, byte[]... args) {
    return lua.runAsync(script, redisKey(key), args);
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
  public static final class Builder extends RedisStoreBuilder<Builder> {

    private @Nullable RedissonClient client;
    private Duration timeout = DEFAULT_TIMEOUT;

    private Builder() {}

    /**
     * Sets the application's client, which the store uses and never shuts down.
     *
     * @param client the client, configured for any topology
     * @return this builder
     * @throws IllegalArgumentException if the client was not made by {@link Redisson#create}
     */
    public Builder client(RedissonClient client) {
      Objects.requireNonNull(client, "client");
      if (!(client instanceof Redisson)) {
        // the claim's SET NX GET goes through Redisson's command executor
        throw new IllegalArgumentException(
            "not a client made by Redisson.create: " + client.getClass().getName());
      }
      this.client = client;
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

package dev.idem.store.redis;

import static dev.idem.store.redis.RecordCodec.positiveMillis;
import static dev.idem.store.redis.RecordCodec.utf8;

import dev.idem.IdempotencyStoreException;
import dev.idem.spi.IdempotencyStore;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * An {@link IdempotencyStore} on Redis through Lettuce, the client Spring Data Redis applications
 * already hold: standalone and Sentinel (a {@link RedisClient}) or Redis Cluster (a {@link
 * RedisClusterClient}).
 *
 * <pre>{@code
 * IdempotencyStore store = LettuceIdempotencyStore.of(redisClient);          // the app's client
 * IdempotencyStore store = LettuceIdempotencyStore.fromUrl("redis://localhost:6379"); // owns one
 * }</pre>
 *
 * <p><b>Records, operations, time, tokens, encoding, notification.</b> The same as {@link
 * RedissonIdempotencyStore}'s, with the same commands and Lua scripts: the two stores read and
 * write each other's records, and a key prefix shared between them shares records. A claim is one
 * {@code SET … NX PX … GET} (plus the {@code claim} script when the key holds an in-progress record
 * or a tombstone); every other operation is one {@code EVALSHA}; each is one round trip to the
 * master that owns the key (Lettuce routes by the key's slot and follows {@code MOVED} and {@code
 * ASK}). A server that does not know a script answers {@code NOSCRIPT} and the script is run once
 * with {@code EVAL}, which also caches it there. Arguments and replies are bytes ({@link
 * ByteArrayCodec}); nothing read from Redis can instantiate a class. Requires Redis 7.0 or later.
 *
 * <p><b>Connections.</b> The store opens one connection on the client, on first use (building never
 * contacts Redis), and every thread shares it: Lettuce pipelines the commands of concurrent callers
 * on it, which is what makes one connection faster than a pool. Completion notification opens one
 * pub/sub connection on the client, on the first wait. {@link #close()} closes both; the client
 * itself is shut down only if the store built it ({@link #fromUrl}).
 *
 * <p><b>Failures.</b> Every failure surfaces as {@link IdempotencyStoreException} with the driver's
 * exception as the cause; a failed claim may or may not have been made, and the caller must not run
 * the body. A call waits at most the store's {@link Builder#timeout timeout} (default: the
 * connection's own command timeout, Lettuce's default being one minute; one second for a client
 * built from a URL) and then cancels the command. Lettuce reconnects by itself, so the same store
 * works again as soon as Redis is back. A client built from a URL rejects commands at once while
 * disconnected; with the application's client, a claim during an outage waits for the timeout.
 * Values the store did not write fail closed, as in {@link RedissonIdempotencyStore}.
 *
 * <p>Instances are thread-safe.
 */
public final class LettuceIdempotencyStore extends RedisRecordStore {

  /** The key prefix used unless the builder sets another. */
  public static final String DEFAULT_KEY_PREFIX = RedissonIdempotencyStore.DEFAULT_KEY_PREFIX;

  private static final Duration URL_CLIENT_TIMEOUT = Duration.ofSeconds(1);

  private final AbstractRedisClient client;
  private final boolean ownsClient;
  private final @Nullable Duration timeout;
  private final Object connectLock = new Object();
  private boolean closed;
  private volatile @Nullable Connected connected;

  /** The store's connection, its commands and how long a call waits for a reply. */
  private record Connected(
      StatefulConnection<byte[], byte[]> connection,
      RedisClusterAsyncCommands<byte[], byte[]> commands,
      long timeoutNanos) {}

  private LettuceIdempotencyStore(
      AbstractRedisClient client,
      boolean ownsClient,
      String keyPrefix,
      @Nullable Duration timeout,
      Duration subscribeTimeout) {
    super(
        keyPrefix,
        new LettuceChannel(client, utf8(completionChannel(keyPrefix))),
        subscribeTimeout);
    this.client = client;
    this.ownsClient = ownsClient;
    this.timeout = timeout;
  }

  /**
   * Returns a store on the application's client, with the default key prefix. {@link #close()}
   * closes the store's connections and leaves the client running.
   *
   * @param client a {@link RedisClient} (standalone or Sentinel) or a {@link RedisClusterClient}
   * @return the store
   */
  public static LettuceIdempotencyStore of(AbstractRedisClient client) {
    return builder().client(client).build();
  }

  /**
   * Returns a store on a client of its own for one Redis server, with a one-second timeout,
   * commands rejected at once while disconnected, and the default key prefix; {@link #close()}
   * shuts the client down.
   *
   * @param url {@code redis://host:port} or {@code rediss://host:port}, with optional {@code
   *     user:password@}
   * @return the store
   */
  public static LettuceIdempotencyStore fromUrl(String url) {
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
    Connected current;
    synchronized (connectLock) {
      closed = true;
      current = connected;
      connected = null;
    }
    if (current != null) {
      current.connection().close();
    }
    if (ownsClient) {
      client.shutdown();
    }
  }

  @Override
  byte @Nullable [] setIfAbsent(String key, byte[] record, long pxMillis) {
    requireOpen("claim");
    String redisKey = redisKey(key);
    try {
      Connected current = connected();
      return await(
          current.commands().setGet(utf8(redisKey), record, SetArgs.Builder.nx().px(pxMillis)),
          current.timeoutNanos());
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(
          RedissonIdempotencyStore.NAME, "claim", redact(e, redisKey));
    }
  }

  @Override
  Object run(String operation, LuaScript lua, String key, byte[]... args) {
    requireOpen(operation);
    String redisKey = redisKey(key);
    byte[][] keys = {utf8(redisKey)};
    try {
      Connected current = connected();
      try {
        return unwrap(
            await(
                current.commands().evalsha(lua.sha(), ScriptOutputType.OBJECT, keys, args),
                current.timeoutNanos()));
      } catch (RedisNoScriptException e) {
        return unwrap(
            await(
                current.commands().eval(lua.source(), ScriptOutputType.OBJECT, keys, args),
                current.timeoutNanos()));
      }
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(
          RedissonIdempotencyStore.NAME, operation, redact(e, redisKey));
    }
  }

  @Override
  CompletionStage<Object> runAsync(LuaScript lua, String key, byte[]... args) {
    byte[][] keys = {utf8(redisKey(key))};
    RedisClusterAsyncCommands<byte[], byte[]> commands = connected().commands();
    return commands
        .<Object>evalsha(lua.sha(), ScriptOutputType.OBJECT, keys, args)
        .exceptionallyCompose(
            failure ->
                failure instanceof RedisNoScriptException
                    ? commands.<Object>eval(lua.source(), ScriptOutputType.OBJECT, keys, args)
                    : CompletableFuture.failedFuture(failure))
        .thenApply(LettuceIdempotencyStore::unwrap);
  }

  private Connected connected() {
    Connected current = connected;
    if (current != null) {
      return current;
    }
    synchronized (connectLock) {
      if (closed) {
        throw new RedisException("the store is closed");
      }
      if (connected == null) {
        connected = connect();
      }
      return Objects.requireNonNull(connected);
    }
  }

  private Connected connect() {
    StatefulConnection<byte[], byte[]> connection;
    RedisClusterAsyncCommands<byte[], byte[]> commands;
    if (client instanceof RedisClusterClient cluster) {
      var clusterConnection = cluster.connect(ByteArrayCodec.INSTANCE);
      connection = clusterConnection;
      commands = clusterConnection.async();
    } else if (client instanceof RedisClient standalone) {
      var standaloneConnection = standalone.connect(ByteArrayCodec.INSTANCE);
      connection = standaloneConnection;
      commands = standaloneConnection.async();
    } else {
      throw new IllegalStateException(
          "not a RedisClient or RedisClusterClient: " + client.getClass().getName());
    }
    Duration wait = timeout != null ? timeout : connection.getTimeout();
    return new Connected(connection, commands, wait.toNanos());
  }

  /**
   * Unwraps a script's reply: Lettuce's object output wraps a top-level integer in a list of one
   * (the scripts never reply a list of one element).
   */
  private static Object unwrap(Object reply) {
    if (reply instanceof List<?> values && values.size() == 1 && values.get(0) instanceof Long) {
      return values.get(0);
    }
    return reply;
  }

  /** Waits for a reply, at most the store's timeout, and then cancels the command. */
  private static <T> T await(RedisFuture<T> future, long timeoutNanos) {
    try {
      return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw new RedisException(e.getCause());
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new RedisCommandTimeoutException(
          "no reply within " + Duration.ofNanos(timeoutNanos).toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(true);
      throw new RedisCommandInterruptedException(e);
    }
  }

  /**
   * Returns the failure itself unless a message in its cause chain contains the record's Redis key
   * (keys can carry customer data), else a {@link RedisException} with the key replaced.
   */
  private static RuntimeException redact(RuntimeException failure, String redisKey) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String message = t.getMessage();
      if (message != null && message.contains(redisKey)) {
        RedisException copy =
            new RedisException(
                failure.getClass().getName()
                    + ": "
                    + String.valueOf(failure.getMessage()).replace(redisKey, "<key>"));
        copy.setStackTrace(failure.getStackTrace());
        return copy;
      }
    }
    return failure;
  }

  /** The completion channel on a pub/sub connection of the client, opened on first use. */
  private static final class LettuceChannel implements PubSubCompletionNotifier.Channel {
    private final AbstractRedisClient client;
    private final byte[] channel;
    private @Nullable StatefulRedisPubSubConnection<byte[], byte[]> connection;

    LettuceChannel(AbstractRedisClient client, byte[] channel) {
      this.client = client;
      this.channel = channel;
    }

    @Override
    public synchronized CompletableFuture<?> subscribe(Consumer<String> onMessage) {
      try {
        if (connection != null) {
          connection.closeAsync();
          connection = null;
        }
        StatefulRedisPubSubConnection<byte[], byte[]> pubSub =
            client instanceof RedisClusterClient cluster
                ? cluster.connectPubSub(ByteArrayCodec.INSTANCE)
                : ((RedisClient) client).connectPubSub(ByteArrayCodec.INSTANCE);
        pubSub.addListener(
            new RedisPubSubAdapter<>() {
              @Override
              public void message(byte[] from, byte[] redisKey) {
                onMessage.accept(new String(redisKey, StandardCharsets.UTF_8));
              }
            });
        connection = pubSub;
        return pubSub.async().subscribe(channel).toCompletableFuture();
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    @Override
    public synchronized void unsubscribe(CompletableFuture<?> subscription) {
      if (connection != null) {
        connection.closeAsync();
        connection = null;
      }
    }
  }

  /**
   * Builds a {@link LettuceIdempotencyStore}. Give it either the application's client or a URL to
   * build a client of its own from, not both.
   */
  public static final class Builder extends RedisStoreBuilder<Builder> {

    private @Nullable AbstractRedisClient client;
    private @Nullable Duration timeout;

    private Builder() {}

    /**
     * Sets the application's client, on which the store opens its connections; the store never
     * shuts the client down.
     *
     * @param client a {@link RedisClient} (standalone, Sentinel) or a {@link RedisClusterClient}
     * @return this builder
     * @throws IllegalArgumentException if the client is of another kind
     */
    public Builder client(AbstractRedisClient client) {
      Objects.requireNonNull(client, "client");
      if (!(client instanceof RedisClient) && !(client instanceof RedisClusterClient)) {
        throw new IllegalArgumentException(
            "not a RedisClient or RedisClusterClient: " + client.getClass().getName());
      }
      this.client = client;
      return this;
    }

    /**
     * Sets how long a call waits for its reply before it cancels the command and fails, and how
     * long a first wait waits for the completion channel's subscription; default: the connection's
     * command timeout (one second for a client built from a {@link #url}).
     *
     * @param timeout the timeout; positive
     * @return this builder
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Duration.ofMillis(positiveMillis(timeout, "timeout"));
      return this;
    }

    /**
     * Builds the store. Building never contacts Redis.
     *
     * @return the store
     * @throws IllegalStateException if neither or both of a client and a URL were given
     */
    public LettuceIdempotencyStore build() {
      if ((client == null) == (url == null)) {
        throw new IllegalStateException("give the builder either a client or a url");
      }
      Duration subscribe = timeout != null ? timeout : URL_CLIENT_TIMEOUT;
      if (client != null) {
        return new LettuceIdempotencyStore(client, false, keyPrefix, timeout, subscribe);
      }
      Duration wait = timeout != null ? timeout : URL_CLIENT_TIMEOUT;
      RedisURI uri = RedisURI.create(Objects.requireNonNull(url));
      uri.setTimeout(wait);
      RedisClient owned = RedisClient.create(uri);
      owned.setOptions(
          ClientOptions.builder()
              .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
              .socketOptions(SocketOptions.builder().connectTimeout(wait).build())
              .timeoutOptions(TimeoutOptions.enabled(wait))
              .build());
      return new LettuceIdempotencyStore(owned, true, keyPrefix, wait, subscribe);
    }
  }
}

package dev.idem.store.redis;

import static dev.idem.store.redis.RecordCodec.ascii;
import static dev.idem.store.redis.RecordCodec.positiveMillis;
import static dev.idem.store.redis.RecordCodec.tokenBytes;
import static dev.idem.store.redis.RecordCodec.utf8;

import dev.idem.IdempotencyStoreException;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The SPI operations of the Redis stores on the {@link RecordCodec record layout}, written once for
 * every client. A claim is one plain {@code SET key record NX PX max(lease, ttl) GET}: an absent
 * key is acquired, and a completed record comes back in the same reply to be replayed; only an
 * in-progress record or a tombstone makes the claim run the {@code claim} script (live lease,
 * takeover). Complete, release, renew, find, delete and watch are {@link LuaScript}s. A subclass
 * only sends the commands to the master that owns a key, through Redisson or Lettuce.
 */
abstract class RedisRecordStore implements IdempotencyStore {

  /**
   * The last token a plain claim of this JVM issued, so that tokens never repeat or go back within
   * the JVM, whatever its clock does.
   */
  private static final AtomicLong LAST_TOKEN = new AtomicLong();

  private final String keyPrefix;
  private final byte[] channelName;
  private final PubSubCompletionNotifier notifier;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * Creates the store's operations.
   *
   * @param keyPrefix the prefix of every Redis key and of the completion channel
   * @param channel the client's side of the completion channel
   * @param subscribeTimeout how long a first wait waits for the channel's subscription
   */
  RedisRecordStore(
      String keyPrefix, PubSubCompletionNotifier.Channel channel, Duration subscribeTimeout) {
    this.keyPrefix = keyPrefix;
    this.channelName = utf8(completionChannel(keyPrefix));
    this.notifier =
        new PubSubCompletionNotifier(
            channel, this::redisKey, this::watch, subscribeTimeout.toMillis());
  }

  /**
   * Sends {@code SET redisKey record NX PX pxMillis GET} to the master that owns the key.
   *
   * @return the value the key held (then left unchanged), or null if it was absent and now holds
   *     the record
   * @throws IdempotencyStoreException if Redis cannot be reached, the key is not a string, or the
   *     store is closed
   */
  abstract byte @Nullable [] setIfAbsent(String key, byte[] record, long pxMillis);

  /**
   * Runs a script on the master that owns the key's record.
   *
   * @param operation the SPI operation, for errors
   * @param lua the script
   * @param key the composed key (the subclass maps it to the record's Redis key)
   * @param args the script's arguments
   * @return the script's reply: a {@code Long}, or a {@code List} of {@code byte[]} and {@code
   *     Long}
   * @throws IdempotencyStoreException if Redis cannot be reached or the store is closed
   */
  abstract Object run(String operation, LuaScript lua, String key, byte[]... args);

  /**
   * Runs a script like {@link #run} without waiting for its reply.
   *
   * @return the reply, or the failure
   */
  abstract CompletionStage<Object> runAsync(LuaScript lua, String key, byte[]... args);

  /** Closes the client's resources; called once, by {@link #close()}. */
  abstract void closeClient();

  @Override
  public String name() {
    return RedissonIdempotencyStore.NAME;
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
   * Unsubscribes from the completion channel and closes what the store opened or built on the
   * client. Closing twice has no effect; a closed store fails every operation.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      notifier.close();
      closeClient();
    }
  }

  /** Throws if the store is closed. */
  final void requireOpen(String operation) {
    if (closed.get()) {
      throw IdempotencyStoreException.of(
          RedissonIdempotencyStore.NAME, operation, "the store is closed");
    }
  }

  /**
   * Returns the Redis key of a record: the prefix, then the key inside a hash tag.
   *
   * @param key the composed key
   * @return the Redis key
   */
  final String redisKey(String key) {
    return keyPrefix + "{" + key + "}";
  }

  /**
   * Returns the pub/sub channel of completion and release messages.
   *
   * @return the channel name
   */
  final String channel() {
    return completionChannel(keyPrefix);
  }

  final PubSubCompletionNotifier notifier() {
    return notifier;
  }

  @Override
  public ClaimResult claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(owner, "owner");
    long leaseMillis = positiveMillis(lease, "lease");
    long pxMillis = Math.max(leaseMillis, positiveMillis(ttl, "ttl"));
    long token = nextToken();
    byte[] record =
        RecordCodec.inProgress(token, pxMillis, pxMillis - leaseMillis, owner, fingerprint);
    byte[] previous = setIfAbsent(key, record, pxMillis);
    if (previous == null) {
      return ClaimResult.acquired(token, false);
    }
    boolean completed = decode("claim", () -> RecordCodec.state(previous) == RecordCodec.COMPLETED);
    if (completed) {
      return decode("claim", () -> ClaimResult.completed(RecordCodec.decode(key, previous, 0)));
    }
    Object reply = run("claim", LuaScript.CLAIM, key, record, ascii(pxMillis), ascii(leaseMillis));
    return decode(
        "claim",
        () -> {
          if (!RecordCodec.isRecord(reply)) {
            // acquired: the token, negated for a takeover
            long issued = RecordCodec.integer(reply);
            return issued < 0
                ? ClaimResult.acquired(-issued, true)
                : ClaimResult.acquired(issued, false);
          }
          IdempotencyRecord found = RecordCodec.decodeReply(key, reply);
          return found.isCompleted() ? ClaimResult.completed(found) : ClaimResult.inProgress(found);
        });
  }

  @Override
  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(outcome, "outcome");
    long ttlMillis = positiveMillis(ttl, "ttl");
    Object reply =
        run(
            "complete",
            LuaScript.COMPLETE,
            key,
            tokenBytes(token),
            ascii(ttlMillis),
            RecordCodec.kindCode(outcome.kind()),
            outcome.unsafeBytes(),
            channelName);
    return decode("complete", () -> RecordCodec.integer(reply) == 1);
  }

  @Override
  public boolean release(String key, long token) {
    Objects.requireNonNull(key, "key");
    Object reply = run("release", LuaScript.RELEASE, key, tokenBytes(token), channelName);
    return decode("release", () -> RecordCodec.integer(reply) == 1);
  }

  @Override
  public boolean renew(String key, long token, Duration lease) {
    Objects.requireNonNull(key, "key");
    long leaseMillis = positiveMillis(lease, "lease");
    Object reply = run("renew", LuaScript.RENEW, key, tokenBytes(token), ascii(leaseMillis));
    return decode("renew", () -> RecordCodec.integer(reply) == 1);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Removes whatever the key holds, even a value or a 0.1 hash that every other operation
   * refuses; a record of this store leaves a tombstone with its token, as a release does, so that
   * tokens keep growing.
   */
  @Override
  public boolean delete(String key) {
    Objects.requireNonNull(key, "key");
    Object reply = run("delete", LuaScript.DELETE, key, channelName);
    return decode("delete", () -> RecordCodec.integer(reply) == 1);
  }

  @Override
  public Optional<IdempotencyRecord> find(String key) {
    Objects.requireNonNull(key, "key");
    Object reply = run("find", LuaScript.FIND, key);
    return decode(
        "find",
        () -> {
          if (RecordCodec.isRecord(reply)) {
            return Optional.of(RecordCodec.decodeReply(key, reply));
          }
          RecordCodec.integer(reply); // 0: no live record
          return Optional.<IdempotencyRecord>empty();
        });
  }

  /**
   * Marks the in-progress record of a key as watched, so that its completion or release is
   * published; completes with false when the key holds no in-progress record.
   */
  private CompletionStage<Boolean> watch(String key) {
    return runAsync(LuaScript.WATCH, key).thenApply(reply -> RecordCodec.integer(reply) == 1);
  }

  /**
   * Returns the token of a plain claim: the JVM's clock in microseconds, or one more than the last
   * token issued here if that is larger.
   */
  private static long nextToken() {
    Instant now = Instant.now();
    long micros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    return LAST_TOKEN.accumulateAndGet(micros, (last, clock) -> Math.max(last + 1, clock));
  }

  private static <T> T decode(String operation, Supplier<T> decoder) {
    try {
      return decoder.get();
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(RedissonIdempotencyStore.NAME, operation, e);
    }
  }

  /** Returns the completion channel of the stores with a key prefix. */
  static String completionChannel(String keyPrefix) {
    return keyPrefix + "completions";
  }
}

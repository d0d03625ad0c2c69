package dev.idem.store.redis;

import static dev.idem.store.redis.RecordReplies.ascii;
import static dev.idem.store.redis.RecordReplies.positiveMillis;
import static dev.idem.store.redis.RecordReplies.utf8;

import dev.idem.IdempotencyStoreException;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The SPI operations of the Redis stores, each one {@link LuaScript} on the record's hash, written
 * once for every client: a subclass only runs a script on the master that owns a key ({@link
 * #run}), through Redisson or Lettuce.
 */
abstract class ScriptedRedisStore implements IdempotencyStore {

  /** The pub/sub channel the complete, release and delete scripts publish on, as bytes. */
  private final byte[] channelName;

  /**
   * Creates the store's operations.
   *
   * @param channel the completion channel
   */
  ScriptedRedisStore(String channel) {
    this.channelName = utf8(channel);
  }

  /** The completion channel, as bytes. */
  final byte[] channelName() {
    return channelName;
  }

  /**
   * Runs a script on the master that owns the key's record.
   *
   * @param operation the SPI operation, for errors
   * @param lua the script
   * @param key the composed key (the subclass maps it to the record's Redis key)
   * @param args the script's arguments
   * @return the script's reply
   * @throws IdempotencyStoreException if Redis cannot be reached or the store is closed
   */
  abstract Object run(String operation, LuaScript lua, String key, byte[]... args);

  @Override
  public String name() {
    return RedissonIdempotencyStore.NAME;
  }

  @Override
  public ClaimResult claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(owner, "owner");
    long leaseMillis = positiveMillis(lease, "lease");
    long ttlMillis = positiveMillis(ttl, "ttl");
    Object reply =
        run(
            "claim",
            LuaScript.CLAIM,
            key,
            ascii(leaseMillis),
            ascii(ttlMillis),
            utf8(owner),
            fingerprint == null ? RecordReplies.ZERO : RecordReplies.ONE,
            fingerprint == null ? RecordReplies.EMPTY : utf8(fingerprint));
    return decode(
        "claim",
        () -> {
          if (!RecordReplies.isRecord(reply)) {
            // acquired: the token, negated for a takeover
            long token = RecordReplies.integer(reply);
            return token < 0
                ? ClaimResult.acquired(-token, true)
                : ClaimResult.acquired(token, false);
          }
          IdempotencyRecord record = RecordReplies.record(key, reply);
          return record.isCompleted()
              ? ClaimResult.completed(record)
              : ClaimResult.inProgress(record);
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
            ascii(token),
            ascii(ttlMillis),
            ascii(outcome.kind().name()),
            outcome.unsafeBytes(),
            channelName);
    return decode("complete", () -> RecordReplies.integer(reply) == 1);
  }

  @Override
  public boolean release(String key, long token) {
    Objects.requireNonNull(key, "key");
    Object reply = run("release", LuaScript.RELEASE, key, ascii(token), channelName);
    return decode("release", () -> RecordReplies.integer(reply) == 1);
  }

  @Override
  public boolean renew(String key, long token, Duration lease) {
    Objects.requireNonNull(key, "key");
    long leaseMillis = positiveMillis(lease, "lease");
    Object reply = run("renew", LuaScript.RENEW, key, ascii(token), ascii(leaseMillis));
    return decode("renew", () -> RecordReplies.integer(reply) == 1);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Removes the hash even if it holds fields this store did not write; a record with a readable
   * token and expiry leaves a {@code RELEASED} tombstone, as a release does, so tokens keep
   * growing.
   */
  @Override
  public boolean delete(String key) {
    Objects.requireNonNull(key, "key");
    Object reply = run("delete", LuaScript.DELETE, key, channelName);
    return decode("delete", () -> RecordReplies.integer(reply) == 1);
  }

  @Override
  public Optional<IdempotencyRecord> find(String key) {
    Objects.requireNonNull(key, "key");
    Object reply = run("find", LuaScript.FIND, key);
    return decode(
        "find",
        () -> {
          if (RecordReplies.isRecord(reply)) {
            return Optional.of(RecordReplies.record(key, reply));
          }
          RecordReplies.integer(reply); // 0: no live record
          return Optional.<IdempotencyRecord>empty();
        });
  }

  private static <T> T decode(String operation, Supplier<T> decoder) {
    try {
      return decoder.get();
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(RedissonIdempotencyStore.NAME, operation, e);
    }
  }
}

package dev.idem.samples.payments;

import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.ExpiredRecordPurger;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** A store that also closes the connection pool the demo created for it. */
final class ClosingStore implements IdempotencyStore {

  private final IdempotencyStore store;
  private final AutoCloseable pool;

  ClosingStore(IdempotencyStore store, AutoCloseable pool) {
    this.store = store;
    this.pool = pool;
  }

  @Override
  public String name() {
    return store.name();
  }

  @Override
  public ClaimResult claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
    return store.claim(key, fingerprint, owner, lease, ttl);
  }

  @Override
  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
    return store.complete(key, token, outcome, ttl);
  }

  @Override
  public boolean release(String key, long token) {
    return store.release(key, token);
  }

  @Override
  public boolean renew(String key, long token, Duration lease) {
    return store.renew(key, token, lease);
  }

  @Override
  public Optional<IdempotencyRecord> find(String key) {
    return store.find(key);
  }

  @Override
  public Optional<CompletionNotifier> completionNotifier() {
    return store.completionNotifier();
  }

  @Override
  public Optional<ExpiredRecordPurger> purger() {
    return store.purger();
  }

  @Override
  public void close() {
    store.close();
    try {
      pool.close();
    } catch (Exception e) {
      throw new IllegalStateException("cannot close the connection pool", e);
    }
  }
}

package dev.idem;

import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/** Delegates to a real store, counting calls, and can simulate an outage. */
final class CountingStore implements IdempotencyStore {
  final IdempotencyStore delegate;
  final AtomicInteger claims = new AtomicInteger();
  final AtomicInteger completes = new AtomicInteger();
  final AtomicInteger releases = new AtomicInteger();
  final AtomicInteger renews = new AtomicInteger();
  final AtomicBoolean down = new AtomicBoolean();

  CountingStore(IdempotencyStore delegate) {
    this.delegate = delegate;
  }

  int calls() {
    return claims.get() + completes.get() + releases.get() + renews.get();
  }

  private void check(String operation) {
    if (down.get()) {
      throw IdempotencyStoreException.of(name(), operation, new java.net.ConnectException("down"));
    }
  }

  @Override
  public String name() {
    return "counting";
  }

  @Override
  public ClaimResult claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
    claims.incrementAndGet();
    check("claim");
    return delegate.claim(key, fingerprint, owner, lease, ttl);
  }

  @Override
  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
    completes.incrementAndGet();
    check("complete");
    return delegate.complete(key, token, outcome, ttl);
  }

  @Override
  public boolean delete(String key) {
    check("delete");
    return delegate.delete(key);
  }

  @Override
  public boolean release(String key, long token) {
    releases.incrementAndGet();
    check("release");
    return delegate.release(key, token);
  }

  @Override
  public boolean renew(String key, long token, Duration lease) {
    renews.incrementAndGet();
    check("renew");
    return delegate.renew(key, token, lease);
  }

  @Override
  public Optional<IdempotencyRecord> find(String key) {
    check("find");
    return delegate.find(key);
  }

  @Override
  public Optional<CompletionNotifier> completionNotifier() {
    return delegate.completionNotifier();
  }
}

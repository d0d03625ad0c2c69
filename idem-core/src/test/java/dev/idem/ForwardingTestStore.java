package dev.idem;

import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Forwards every operation; tests override the ones they change. */
class ForwardingTestStore implements IdempotencyStore {
  private final IdempotencyStore delegate;

  ForwardingTestStore(IdempotencyStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public ClaimResult claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
    return delegate.claim(key, fingerprint, owner, lease, ttl);
  }

  @Override
  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
    return delegate.complete(key, token, outcome, ttl);
  }

  @Override
  public boolean release(String key, long token) {
    return delegate.release(key, token);
  }

  @Override
  public boolean renew(String key, long token, Duration lease) {
    return delegate.renew(key, token, lease);
  }

  @Override
  public Optional<IdempotencyRecord> find(String key) {
    return delegate.find(key);
  }

  @Override
  public Optional<CompletionNotifier> completionNotifier() {
    return delegate.completionNotifier();
  }
}

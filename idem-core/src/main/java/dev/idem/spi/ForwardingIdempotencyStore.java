package dev.idem.spi;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A store that forwards every operation to another one: the base of decorators that change or
 * observe a few operations (counting, tracing, owning extra resources) and leave the rest alone.
 * Subclasses override what they add; every override must keep the {@link IdempotencyStore}
 * contract.
 */
public abstract class ForwardingIdempotencyStore implements IdempotencyStore {

  private final IdempotencyStore delegate;

  /**
   * Creates a store forwarding to {@code delegate}.
   *
   * @param delegate the store that does the work
   */
  protected ForwardingIdempotencyStore(IdempotencyStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /**
   * Returns the store operations are forwarded to.
   *
   * @return the delegate
   */
  protected IdempotencyStore delegate() {
    return delegate;
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
  public boolean delete(String key) {
    return delegate.delete(key);
  }

  @Override
  public Optional<IdempotencyRecord> find(String key) {
    return delegate.find(key);
  }

  @Override
  public Optional<CompletionNotifier> completionNotifier() {
    return delegate.completionNotifier();
  }

  @Override
  public Optional<ExpiredRecordPurger> purger() {
    return delegate.purger();
  }

  /** Closes the delegate. */
  @Override
  public void close() {
    delegate.close();
  }
}

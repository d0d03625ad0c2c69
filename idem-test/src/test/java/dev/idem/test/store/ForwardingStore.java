package dev.idem.test.store;

import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import java.util.Optional;

/** A store that forwards every call to another; tests override one method to break it. */
class ForwardingStore extends ForwardingIdempotencyStore {

  final IdempotencyStore delegate;

  ForwardingStore(IdempotencyStore delegate) {
    super(delegate);
    this.delegate = delegate;
  }

  /** Returns the live record of the key if it is in progress. */
  Optional<IdempotencyRecord> inProgress(String key) {
    return delegate.find(key).filter(record -> !record.isCompleted());
  }
}

package dev.idem.test.store;

import dev.idem.spi.IdempotencyStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;

/** A real takeover through two engines sharing one in-memory store on the system clock. */
class InMemoryTakeoverThroughEngineTest extends TakeoverThroughEngineContract {

  private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create();

  @Override
  protected IdempotencyStore store() {
    return store;
  }
}

package dev.idem.store.redis;

import dev.idem.spi.IdempotencyStore;
import dev.idem.test.store.TakeoverThroughEngineContract;
import org.junit.jupiter.api.extension.ExtendWith;

/** A real takeover through two engines on a standalone Redis, fenced by the Redis scripts. */
@ExtendWith(RedisTestSupport.class)
class RedisTakeoverThroughEngineTest extends TakeoverThroughEngineContract {

  @Override
  protected IdempotencyStore store() {
    return RedisTestClients.standaloneStore();
  }
}

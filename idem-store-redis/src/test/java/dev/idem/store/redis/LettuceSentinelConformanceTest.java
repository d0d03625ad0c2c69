package dev.idem.store.redis;

import dev.idem.spi.IdempotencyStore;
import dev.idem.test.store.CompletionNotificationContract;
import dev.idem.test.store.IdempotencyStoreContract;
import java.time.Duration;
import org.junit.jupiter.api.extension.ExtendWith;

/** The conformance kit, through Lettuce and Redis Sentinel (a private master and Sentinel). */
@ExtendWith(RedisTestSupport.class)
class LettuceSentinelConformanceTest extends IdempotencyStoreContract
    implements CompletionNotificationContract {

  @Override
  public IdempotencyStore store() {
    return LettuceTestClients.sentinelStore();
  }

  @Override
  public Duration lease() {
    return RedisTestClients.KIT_LEASE;
  }

  @Override
  public Duration margin() {
    return RedisTestClients.KIT_MARGIN;
  }

  @Override
  public void elapse(Duration duration) {
    sleep(duration);
  }
}

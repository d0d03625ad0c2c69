package dev.idem.store.redis;

import dev.idem.spi.IdempotencyStore;
import dev.idem.test.store.CompletionNotificationContract;
import dev.idem.test.store.IdempotencyStoreContract;
import java.time.Duration;
import org.junit.jupiter.api.extension.ExtendWith;

/** The conformance kit, through Lettuce, on a 3-master Redis Cluster. */
@ExtendWith(RedisTestSupport.class)
class LettuceClusterConformanceTest extends IdempotencyStoreContract
    implements CompletionNotificationContract {

  @Override
  public IdempotencyStore store() {
    return LettuceTestClients.clusterStore();
  }

  @Override
  public void elapse(Duration duration) {
    sleep(duration);
  }
}

package dev.idem.store.redis;

import dev.idem.test.servers.TestRedis;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Shuts the shared Redisson and Lettuce clients down, then stops the servers the fixtures started,
 * once the whole test plan of the JVM is over: an {@link AutoCloseable} in the root store is closed
 * after the last test class. A shutdown hook in each of them is the safety net.
 */
final class RedisTestSupport implements BeforeAllCallback {

  @Override
  public void beforeAll(ExtensionContext context) {
    context
        .getRoot()
        .getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(RedisTestSupport.class, k -> new Shutdown());
  }

  private static final class Shutdown implements AutoCloseable {
    @Override
    public void close() {
      RedisTestClients.shutdownAll();
      LettuceTestClients.shutdownAll();
      TestRedis.stopStartedServers();
    }
  }
}

package dev.idem.store.redis;

import java.time.Duration;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;
import org.redisson.config.ConstantDelay;

/** Builds the Redisson client a store owns when it is given a URL instead of a client. */
final class RedissonClients {

  static final int THREADS = 2;
  static final int NETTY_THREADS = 4;
  static final int CONNECTION_POOL_SIZE = 16;
  static final int CONNECTION_MINIMUM_IDLE_SIZE = 2;

  private RedissonClients() {}

  /**
   * Returns a client for one Redis server that fails fast: a dead server makes a command fail after
   * about {@code timeout} (one connect attempt and one retry), instead of Redisson's default of
   * tens of seconds. The client connects lazily, so creating it never fails because Redis is down.
   */
  static RedissonClient standalone(String url, Duration timeout) {
    int millis = Math.toIntExact(timeout.toMillis());
    Config config = new Config();
    config
        .setThreads(THREADS)
        .setNettyThreads(NETTY_THREADS)
        .setLazyInitialization(true)
        // never used by the store (it names its codec on every call), but a client built here
        // must not be able to instantiate classes named in Redis data either
        .setCodec(org.redisson.client.codec.StringCodec.INSTANCE);
    config
        .useSingleServer()
        .setAddress(url)
        .setConnectTimeout(millis)
        .setTimeout(millis)
        .setSubscriptionTimeout(millis)
        .setRetryAttempts(1)
        .setRetryDelay(new ConstantDelay(Duration.ofMillis(Math.min(200, millis))))
        .setReconnectionDelay(new ConstantDelay(Duration.ofMillis(Math.min(200, millis))))
        .setConnectionMinimumIdleSize(CONNECTION_MINIMUM_IDLE_SIZE)
        .setConnectionPoolSize(CONNECTION_POOL_SIZE)
        .setSubscriptionConnectionMinimumIdleSize(1)
        .setSubscriptionConnectionPoolSize(1);
    return Redisson.create(config);
  }
}

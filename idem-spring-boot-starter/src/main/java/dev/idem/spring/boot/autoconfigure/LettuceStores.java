package dev.idem.spring.boot.autoconfigure;

import dev.idem.store.redis.LettuceIdempotencyStore;
import io.lettuce.core.AbstractRedisClient;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.util.ClassUtils;

/**
 * Finds the application's Lettuce client for {@code idem.store=redis}: Spring Data Redis's {@link
 * LettuceConnectionFactory}, else a {@link AbstractRedisClient} bean. Loaded only when {@code
 * lettuce-core} is on the class path.
 */
final class LettuceStores {

  private static final boolean SPRING_DATA_REDIS =
      ClassUtils.isPresent(
          "org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory",
          LettuceStores.class.getClassLoader());

  private LettuceStores() {}

  /**
   * Returns a store on the application's Lettuce client, or null when it has none (or more than
   * one).
   */
  static @Nullable LettuceIdempotencyStore fromApplication(
      ListableBeanFactory beans, IdempotencyProperties.Redis redis) {
    AbstractRedisClient client = null;
    if (SPRING_DATA_REDIS) {
      client = SpringDataRedis.nativeClient(beans);
    }
    if (client == null) {
      client = beans.getBeanProvider(AbstractRedisClient.class).getIfUnique();
    }
    if (client == null) {
      return null;
    }
    LettuceIdempotencyStore.Builder builder =
        LettuceIdempotencyStore.builder().client(client).keyPrefix(redis.getKeyPrefix());
    if (redis.getTimeout() != null) {
      builder.timeout(redis.getTimeout());
    }
    return builder.build();
  }

  /** Kept apart so that Spring Data Redis's classes are only loaded when it is present. */
  private static final class SpringDataRedis {
    static @Nullable AbstractRedisClient nativeClient(ListableBeanFactory beans) {
      LettuceConnectionFactory factory =
          beans.getBeanProvider(LettuceConnectionFactory.class).getIfUnique();
      if (factory == null) {
        return null;
      }
      if (factory.getNativeClient() == null) {
        factory.start(); // a factory that is not started early creates its client on start
      }
      return factory.getRequiredNativeClient();
    }
  }
}

package dev.idem.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.spi.IdempotencyStore;
import dev.idem.store.redis.LettuceIdempotencyStore;
import dev.idem.store.redis.RedissonIdempotencyStore;
import io.lettuce.core.RedisClient;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.data.redis.RedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code idem.store=redis} uses the Redis client the application already has: Spring Data Redis's
 * Lettuce connection factory or a Lettuce {@code RedisClient} bean, and a {@code RedissonClient}
 * bean first when there is one. On a real Redis ({@code IDEM_TEST_REDIS_URL}, else 127.0.0.1:6379).
 */
class LettuceStoreAutoConfigurationTest {

  private static String redisUrl() {
    String url = System.getenv("IDEM_TEST_REDIS_URL");
    return url != null && !url.isBlank() ? url : "redis://127.0.0.1:6379";
  }

  private static ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withPropertyValues(
            "idem.store=redis",
            "idem.redis.key-prefix=idem-starter-test:",
            "idem.policies.strict.on-in-progress=reject")
        .withBean(Beans.Charges.class);
  }

  @Test
  void usesSpringDataRedisLettuceClientAndStartsNoClientOfItsOwn() {
    Set<Thread> before = redissonThreads();
    runner()
        .withConfiguration(
            AutoConfigurations.of(
                RedisAutoConfiguration.class,
                AopAutoConfiguration.class,
                IdempotencyAutoConfiguration.class))
        .withPropertyValues("spring.data.redis.url=" + redisUrl())
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(IdempotencyStore.class))
                  .isInstanceOf(LettuceIdempotencyStore.class);
              chargesOnce(context.getBean(Beans.Charges.class));
              assertThat(redissonThreads()).as("no Redisson client started").isSubsetOf(before);
            });
  }

  @Test
  void usesALettuceRedisClientBean() {
    runner()
        .withConfiguration(
            AutoConfigurations.of(AopAutoConfiguration.class, IdempotencyAutoConfiguration.class))
        .withBean(
            RedisClient.class,
            () -> RedisClient.create(redisUrl()),
            definition -> definition.setDestroyMethodName("shutdown"))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(IdempotencyStore.class))
                  .isInstanceOf(LettuceIdempotencyStore.class);
              chargesOnce(context.getBean(Beans.Charges.class));
            });
  }

  @Test
  void prefersARedissonClientBeanOverLettuce() {
    runner()
        .withConfiguration(
            AutoConfigurations.of(
                RedisAutoConfiguration.class,
                AopAutoConfiguration.class,
                IdempotencyAutoConfiguration.class))
        .withPropertyValues("spring.data.redis.url=" + redisUrl())
        .withBean(
            RedissonClient.class,
            LettuceStoreAutoConfigurationTest::redisson,
            definition -> definition.setDestroyMethodName("shutdown"))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(IdempotencyStore.class))
                  .isInstanceOf(RedissonIdempotencyStore.class);
              chargesOnce(context.getBean(Beans.Charges.class));
            });
  }

  private static void chargesOnce(Beans.Charges charges) {
    String order = UUID.randomUUID().toString();
    String first = charges.charge(order, 5);
    assertThat(charges.charge(order, 5)).isEqualTo(first);
    assertThat(charges.executions()).isEqualTo(1);
  }

  private static RedissonClient redisson() {
    Config config = new Config();
    config.setThreads(2).setNettyThreads(2).setCodec(StringCodec.INSTANCE);
    config
        .useSingleServer()
        .setAddress(redisUrl())
        .setConnectionMinimumIdleSize(1)
        .setConnectionPoolSize(2)
        .setSubscriptionConnectionMinimumIdleSize(1)
        .setSubscriptionConnectionPoolSize(1);
    return Redisson.create(config);
  }

  private static Set<Thread> redissonThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("redisson"))
        .collect(Collectors.toSet());
  }
}

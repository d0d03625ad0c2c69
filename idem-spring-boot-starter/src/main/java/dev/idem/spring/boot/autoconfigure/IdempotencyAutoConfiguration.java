package dev.idem.spring.boot.autoconfigure;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyConfigurationException;
import dev.idem.NearCacheSettings;
import dev.idem.aspect.IdempotentAspect;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spring.IdempotencyAdviceOrdering;
import dev.idem.spring.IdempotencyAdviceOrdering.Placement;
import dev.idem.spring.IdempotencyAdvisors;
import dev.idem.spring.IdempotencyConfigCustomizer;
import dev.idem.spring.IdempotencyScope;
import dev.idem.spring.IdempotentMethodValidator;
import dev.idem.spring.boot.autoconfigure.IdempotencyProperties.AopMode;
import dev.idem.spring.boot.autoconfigure.IdempotencyProperties.StoreType;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.Advisor;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;

/**
 * Auto-configures Idem: an {@link Idempotency} bean on the store chosen by {@code idem.store}
 * ({@code memory}, {@code jdbc} on the application's {@code DataSource}, {@code redis} on its
 * {@code RedissonClient}), with the policies, scope, near cache and metrics of the {@code idem.*}
 * properties; in proxy mode the Idem aspect as a Spring AOP advisor ordered against
 * {@code @Transactional} by {@link IdempotencyAdviceOrdering}; the startup validation of every
 * {@code @Idempotent} method; and the purge of expired records.
 *
 * <p>An application replaces a part by declaring its own bean: an {@link IdempotencyStore}, an
 * {@link Idempotency}, an {@link IdempotencyScope}; {@link IdempotencyConfigCustomizer} beans
 * adjust the configuration.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
      "org.springframework.boot.autoconfigure.jooq.JooqAutoConfiguration",
      "org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
      "org.redisson.spring.starter.RedissonAutoConfigurationV2",
      "org.redisson.spring.starter.RedissonAutoConfiguration"
    })
@ConditionalOnProperty(
    prefix = "idem",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
@EnableConfigurationProperties(IdempotencyProperties.class)
@Import({
  IdempotencyStoreConfigurations.Memory.class,
  IdempotencyStoreConfigurations.Jdbc.class,
  IdempotencyStoreConfigurations.Redis.class
})
public class IdempotencyAutoConfiguration {

  /** Creates the auto-configuration. */
  public IdempotencyAutoConfiguration() {}

  /**
   * The engine. In AspectJ mode it is also installed globally, for the woven aspect.
   *
   * @param properties the {@code idem.*} properties
   * @param store the store
   * @param scope the application's scope, if it declares one
   * @param customizers the application's customizers
   * @param meterRegistry the application's meter registry, if any
   * @return the instance
   */
  @Bean
  @ConditionalOnMissingBean
  public Idempotency idempotency(
      IdempotencyProperties properties,
      ObjectProvider<IdempotencyStore> store,
      ObjectProvider<IdempotencyScope> scope,
      ObjectProvider<IdempotencyConfigCustomizer> customizers,
      ObjectProvider<MeterRegistry> meterRegistry) {
    IdempotencyStore chosen = store.getIfAvailable();
    if (chosen == null) {
      throw IdempotencyConfigurationException.of(missingStore(properties.getStore()));
    }
    IdempotencyConfig.Builder builder = IdempotencyConfig.builder().store(chosen);
    builder.keyPrefix(properties.getKeyPrefix());
    if (properties.getOwner() != null && !properties.getOwner().isBlank()) {
      builder.owner(properties.getOwner());
    }
    long maxResultBytes = properties.getMaxResultSize().toBytes();
    if (maxResultBytes <= 0 || maxResultBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "idem.max-result-size must be between 1 byte and 2 GB: " + properties.getMaxResultSize());
    }
    builder.maxResultBytes((int) maxResultBytes);
    builder.waitPolling(
        properties.getWaitPolling().getInitial(), properties.getWaitPolling().getMax());
    builder.defaults(properties.getDefaults().toPolicy("idem.defaults"));
    for (Map.Entry<String, IdempotencyProperties.Policy> policy :
        properties.getPolicies().entrySet()) {
      builder.policy(
          policy.getKey(), policy.getValue().toPolicy("idem.policies." + policy.getKey()));
    }
    IdempotencyScope applicationScope = scope.getIfUnique();
    if (applicationScope != null) {
      builder.scopeSupplier(applicationScope::current);
    } else if (properties.getScope() == IdempotencyProperties.Scope.PRINCIPAL) {
      builder.scopeSupplier(new PrincipalScope()::current);
    }
    IdempotencyProperties.NearCache nearCache = properties.getNearCache();
    if (nearCache.isEnabled()) {
      builder.nearCache(NearCacheSettings.of(nearCache.getMaximumSize(), nearCache.getTtl()));
    }
    if (properties.getMetrics().isEnabled()) {
      MeterRegistry registry = meterRegistry.getIfUnique();
      if (registry != null) {
        builder.meterRegistry(registry);
      }
    }
    customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
    IdempotencyConfig config = builder.build();
    return properties.getAop().getMode() == AopMode.ASPECTJ
        ? Idempotency.configure(config)
        : Idempotency.of(config);
  }

  private static String missingStore(StoreType type) {
    return switch (type) {
      case MEMORY -> "Idem has no store: declare an IdempotencyStore bean";
      case JDBC ->
          "idem.store=jdbc needs dev.idem:idem-store-sql and spring-jdbc on the class path and a"
              + " DataSource bean (or declare an IdempotencyStore bean)";
      case REDIS ->
          "idem.store=redis needs dev.idem:idem-store-redis on the class path and a RedissonClient"
              + " bean or idem.redis.url (or declare an IdempotencyStore bean)";
    };
  }

  /**
   * Validates every {@code @Idempotent} method once all singletons exist.
   *
   * @param idempotency the engine
   * @param advisor the Idem advisor, absent in AspectJ mode
   * @return the validator
   */
  @Bean
  @ConditionalOnProperty(
      prefix = "idem",
      name = "validate-on-startup",
      havingValue = "true",
      matchIfMissing = true)
  public IdempotentMethodValidator idempotentMethodValidator(
      Idempotency idempotency, @Qualifier("idempotentAdvisor") ObjectProvider<Advisor> advisor) {
    return new IdempotentMethodValidator(idempotency, advisor.getIfAvailable());
  }

  /**
   * Deletes expired records periodically, for stores that need it.
   *
   * @param store the store
   * @param properties the properties
   * @return the purging lifecycle, or a no-op when the store needs none
   */
  @Bean
  @ConditionalOnProperty(
      prefix = "idem.purge",
      name = "enabled",
      havingValue = "true",
      matchIfMissing = true)
  ExpiredRecordPurgingHolder idempotencyPurging(
      ObjectProvider<IdempotencyStore> store, IdempotencyProperties properties) {
    IdempotencyStore chosen = store.getIfAvailable();
    if (chosen == null) {
      return new ExpiredRecordPurgingHolder(null);
    }
    return new ExpiredRecordPurgingHolder(
        chosen
            .purger()
            .map(
                purger ->
                    new ExpiredRecordPurging(
                        purger,
                        properties.getPurge().getInterval(),
                        properties.getPurge().getBatchSize()))
            .orElse(null));
  }

  /**
   * Uninstalls the global instance when the context closes, in AspectJ mode.
   *
   * @return the disposable
   */
  @Bean
  @ConditionalOnProperty(prefix = "idem.aop", name = "mode", havingValue = "aspectj")
  DisposableBean idempotencyGlobalUninstall() {
    return Idempotency::unconfigure;
  }

  /** The Spring AOP advisor, in proxy mode. */
  @Configuration(proxyBeanMethods = false)
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  @ConditionalOnProperty(
      prefix = "idem.aop",
      name = "mode",
      havingValue = "proxy",
      matchIfMissing = true)
  public static class ProxyModeConfiguration {

    /** Creates the configuration. */
    public ProxyModeConfiguration() {}

    /**
     * Orders the Idem advisor against the transaction advisor; see {@link
     * IdempotencyAdviceOrdering}. Decided from the environment because it must exist before the
     * transaction advisor does.
     *
     * @param environment the environment
     * @return the ordering
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    public static IdempotencyAdviceOrdering idempotencyAdviceOrdering(Environment environment) {
      Binder binder = Binder.get(environment);
      Integer order = binder.bind("idem.aop.order", Integer.class).orElse(null);
      if (order != null) {
        return IdempotencyAdviceOrdering.explicit(order);
      }
      StoreType store = binder.bind("idem.store", StoreType.class).orElse(StoreType.MEMORY);
      boolean transactional =
          binder.bind("idem.jdbc.transactional", Boolean.class).orElse(Boolean.FALSE);
      return IdempotencyAdviceOrdering.of(
          store == StoreType.JDBC && transactional
              ? Placement.INSIDE_TRANSACTIONS
              : Placement.OUTSIDE_TRANSACTIONS);
    }

    /**
     * The Idem aspect as a Spring AOP advisor: the {@link IdempotentAspect} class ajc uses, bound
     * to the {@link Idempotency} bean (created on the first advised call).
     *
     * @param idempotency the engine
     * @param ordering the ordering
     * @return the advisor
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    public Advisor idempotentAdvisor(
        ObjectProvider<Idempotency> idempotency, IdempotencyAdviceOrdering ordering) {
      return IdempotencyAdvisors.create(
          () -> new IdempotentAspect(idempotency.getObject()), ordering::idempotencyOrder);
    }
  }

  /** Holds the purging lifecycle, or nothing for stores without a purger. */
  static final class ExpiredRecordPurgingHolder implements SmartLifecycle {
    private final @Nullable ExpiredRecordPurging purging;

    ExpiredRecordPurgingHolder(@Nullable ExpiredRecordPurging purging) {
      this.purging = purging;
    }

    @Override
    public void start() {
      if (purging != null) {
        purging.start();
      }
    }

    @Override
    public void stop() {
      if (purging != null) {
        purging.stop();
      }
    }

    @Override
    public boolean isRunning() {
      return purging != null && purging.isRunning();
    }
  }
}

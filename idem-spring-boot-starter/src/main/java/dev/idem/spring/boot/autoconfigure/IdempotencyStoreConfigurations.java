package dev.idem.spring.boot.autoconfigure;

import dev.idem.IdempotencyConfigurationException;
import dev.idem.spring.SpringTransactionBinding;
import dev.idem.spring.boot.autoconfigure.IdempotencyProperties.SchemaInitialization;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.store.redis.RedissonIdempotencyStore;
import dev.idem.store.sql.JooqIdempotencyStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.jooq.tools.jdbc.JDBCUtils;
import org.redisson.api.RedissonClient;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.jdbc.EmbeddedDatabaseConnection;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

/** The store configurations, one per {@code idem.store} value. */
final class IdempotencyStoreConfigurations {

  private IdempotencyStoreConfigurations() {}

  /** {@code idem.store=memory}, the default. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(
      prefix = "idem",
      name = "store",
      havingValue = "memory",
      matchIfMissing = true)
  static class Memory {
    @Bean
    @ConditionalOnMissingBean(dev.idem.spi.IdempotencyStore.class)
    InMemoryIdempotencyStore idempotencyStore(IdempotencyProperties properties) {
      InMemoryIdempotencyStore.Builder builder = InMemoryIdempotencyStore.builder();
      Long maximumSize = properties.getMemory().getMaximumSize();
      if (maximumSize != null) {
        builder.maximumSize(maximumSize);
      }
      return builder.build();
    }
  }

  /** {@code idem.store=jdbc}: the SQL store on the application's {@code DataSource}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = "idem", name = "store", havingValue = "jdbc")
  @ConditionalOnClass(
      name = {
        "dev.idem.store.sql.JooqIdempotencyStore",
        "org.jooq.DSLContext",
        "org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy",
        "org.springframework.transaction.support.TransactionSynchronizationManager"
      })
  static class Jdbc {
    @Bean
    @ConditionalOnMissingBean(dev.idem.spi.IdempotencyStore.class)
    @DependsOnDatabaseInitialization
    JooqIdempotencyStore idempotencyStore(
        IdempotencyProperties properties,
        ObjectProvider<DataSource> dataSources,
        ObjectProvider<DSLContext> dslContexts) {
      DataSource dataSource = dataSources.getIfUnique();
      if (dataSource == null) {
        throw IdempotencyConfigurationException.of(
            "idem.store=jdbc needs exactly one DataSource bean (or declare an IdempotencyStore"
                + " bean)");
      }
      DataSource target = SpringTransactionBinding.unwrap(dataSource);
      IdempotencyProperties.Jdbc jdbc = properties.getJdbc();
      DSLContext application = dslContexts.getIfUnique();
      SQLDialect dialect = dialect(jdbc.getDialect(), application, target);
      Settings settings = application != null ? application.settings() : new Settings();
      JooqIdempotencyStore.Builder builder =
          JooqIdempotencyStore.builder(DSL.using(target, dialect, settings))
              .tableName(jdbc.getTableName());
      if (jdbc.isTransactional()) {
        builder.transactional(SpringTransactionBinding.of(target, dialect, settings));
        if (jdbc.getLockTimeout() != null) {
          builder.lockTimeout(jdbc.getLockTimeout());
        }
      } else if (jdbc.getLockTimeout() != null) {
        throw IdempotencyConfigurationException.of(
            "idem.jdbc.lock-timeout applies to idem.jdbc.transactional=true only");
      }
      JooqIdempotencyStore store = builder.build();
      SchemaInitialization init = jdbc.getInitializeSchema();
      if (init == SchemaInitialization.ALWAYS
          || (init == SchemaInitialization.EMBEDDED
              && EmbeddedDatabaseConnection.isEmbedded(target))) {
        store.createSchemaIfMissing();
      }
      try {
        store.requireSchema();
      } catch (IdempotencyConfigurationException e) {
        throw IdempotencyConfigurationException.of(
            "idem.store=jdbc: "
                + e.getMessage()
                + ". idem.jdbc.initialize-schema is "
                + init.name().toLowerCase(Locale.ROOT)
                + (init == SchemaInitialization.EMBEDDED
                    ? " (the default), which creates the table only in embedded databases"
                    : "")
                + ": set idem.jdbc.initialize-schema=always to create it at startup, or create"
                + " it with your migrations (Flyway and Liquibase run before this check)");
      }
      return store;
    }

    private static SQLDialect dialect(String configured, DSLContext application, DataSource ds) {
      if (configured != null && !configured.isBlank()) {
        try {
          return SQLDialect.valueOf(configured.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw IdempotencyConfigurationException.of(
              "idem.jdbc.dialect '" + configured + "' is not a jOOQ SQLDialect");
        }
      }
      if (application != null && application.dialect() != SQLDialect.DEFAULT) {
        return application.dialect();
      }
      try (Connection connection = ds.getConnection()) {
        SQLDialect detected = JDBCUtils.dialect(connection);
        if (detected == SQLDialect.DEFAULT) {
          throw IdempotencyConfigurationException.of(
              "idem.store=jdbc cannot tell the database's dialect from "
                  + connection.getMetaData().getURL()
                  + "; set idem.jdbc.dialect (POSTGRES, MARIADB, MYSQL or H2)");
        }
        return detected;
      } catch (SQLException e) {
        throw new IllegalStateException(
            "idem.store=jdbc could not connect to detect the dialect; set idem.jdbc.dialect", e);
      }
    }
  }

  /**
   * {@code idem.store=redis}: the Redis store on the client the application already has, a {@code
   * RedissonClient} bean first, else Lettuce (Spring Data Redis's {@code LettuceConnectionFactory}
   * or a Lettuce client bean), else a Redisson client of its own from {@code idem.redis.url}.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = "idem", name = "store", havingValue = "redis")
  @ConditionalOnClass(
      name = {"dev.idem.store.redis.RedissonIdempotencyStore", "org.redisson.api.RedissonClient"})
  static class Redis {
    private static final boolean LETTUCE =
        ClassUtils.isPresent("io.lettuce.core.AbstractRedisClient", Redis.class.getClassLoader());

    @Bean
    @ConditionalOnMissingBean(dev.idem.spi.IdempotencyStore.class)
    dev.idem.spi.IdempotencyStore idempotencyStore(
        IdempotencyProperties properties,
        ObjectProvider<RedissonClient> clients,
        ListableBeanFactory beans) {
      IdempotencyProperties.Redis redis = properties.getRedis();
      RedissonIdempotencyStore.Builder builder =
          RedissonIdempotencyStore.builder().keyPrefix(redis.getKeyPrefix());
      RedissonClient client = clients.getIfUnique();
      if (client != null) {
        return builder.client(client).build();
      }
      if (LETTUCE) {
        dev.idem.spi.IdempotencyStore lettuce = LettuceStores.fromApplication(beans, redis);
        if (lettuce != null) {
          return lettuce;
        }
      }
      if (redis.getUrl() != null && !redis.getUrl().isBlank()) {
        builder.url(redis.getUrl());
        if (redis.getTimeout() != null) {
          builder.timeout(redis.getTimeout());
        }
        return builder.build();
      }
      throw IdempotencyConfigurationException.of(
          "idem.store=redis needs a RedissonClient bean, a Lettuce client (Spring Data Redis's"
              + " LettuceConnectionFactory, or a RedisClient or RedisClusterClient bean) or"
              + " idem.redis.url");
    }
  }
}

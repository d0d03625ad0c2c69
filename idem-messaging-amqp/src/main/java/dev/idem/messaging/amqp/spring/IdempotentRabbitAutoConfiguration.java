package dev.idem.messaging.amqp.spring;

import dev.idem.Idempotency;
import dev.idem.messaging.IdempotentConsumer;
import dev.idem.messaging.MessageId;
import dev.idem.messaging.TransactionRunner;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageListener;
import org.springframework.amqp.rabbit.config.ContainerCustomizer;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Makes every {@code @RabbitListener} container of Spring Boot's {@code
 * SimpleRabbitListenerContainerFactory} idempotent: a {@link ContainerCustomizer} wraps each
 * container's listener in an {@link IdempotentRabbitListener} whose consumer is named {@code
 * rabbit/<queue>} (one dedup namespace per queue). With a {@link PlatformTransactionManager} (and
 * {@code idem.messaging.rabbit.transactional}, the default), each delivery runs in a transaction of
 * it, so that with {@code idem.store=jdbc} and {@code idem.jdbc.transactional=true} the dedup
 * record and the listener's JDBC/JPA writes commit together. Off with {@code
 * idem.messaging.rabbit.enabled=false}; an application that defines its own {@code
 * ContainerCustomizer<SimpleMessageListenerContainer>} wraps listeners itself with {@link
 * #wrapper}.
 */
@AutoConfiguration(
    afterName = {
      "dev.idem.spring.boot.autoconfigure.IdempotencyAutoConfiguration",
      "org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration",
      "org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration"
    })
@ConditionalOnClass({SimpleMessageListenerContainer.class, Idempotency.class})
@ConditionalOnBean(Idempotency.class)
@ConditionalOnProperty(
    prefix = "idem.messaging.rabbit",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
@EnableConfigurationProperties(IdempotentRabbitProperties.class)
public class IdempotentRabbitAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public IdempotentRabbitAutoConfiguration() {}

  /**
   * Wraps the listener of every container Spring Boot's factory creates.
   *
   * @param idempotency the Idem instance
   * @param properties the {@code idem.messaging.rabbit.*} properties
   * @param transactionManager the application's transaction manager, if any
   * @return the customizer
   */
  @Bean
  @ConditionalOnMissingBean
  public ContainerCustomizer<SimpleMessageListenerContainer> idempotentRabbitContainerCustomizer(
      Idempotency idempotency,
      IdempotentRabbitProperties properties,
      ObjectProvider<PlatformTransactionManager> transactionManager) {
    PlatformTransactionManager manager =
        properties.transactional() ? transactionManager.getIfUnique() : null;
    Function<MessageListener, MessageListener> wrap = wrapper(idempotency, properties, manager);
    return container -> {
      Object listener = container.getMessageListener();
      if (listener instanceof MessageListener plain
          && !(listener instanceof IdempotentRabbitListener)) {
        container.setMessageListener(wrap.apply(plain));
      }
    };
  }

  /**
   * Returns a function that wraps a listener in an {@link IdempotentRabbitListener} configured by
   * the properties, with one consumer per queue.
   *
   * @param idempotency the Idem instance
   * @param properties the properties
   * @param transactionManager the transaction manager deliveries run in, or null for none
   * @return the wrapping function
   */
  public static Function<MessageListener, MessageListener> wrapper(
      Idempotency idempotency,
      IdempotentRabbitProperties properties,
      @Nullable PlatformTransactionManager transactionManager) {
    String header = properties.messageIdHeader();
    MessageId<Message> ids =
        header == null || header.isBlank()
            ? RabbitMessageIds.messageId()
            : RabbitMessageIds.header(header);
    TransactionRunner runner = null;
    if (transactionManager != null) {
      TransactionTemplate template = new TransactionTemplate(transactionManager);
      runner = work -> template.executeWithoutResult(status -> work.run());
    }
    TransactionRunner transactions = runner;
    Map<String, IdempotentConsumer<Message>> byQueue = new ConcurrentHashMap<>();
    Function<Message, IdempotentConsumer<Message>> consumers =
        message ->
            byQueue.computeIfAbsent(
                operationName(message.getMessageProperties().getConsumerQueue()),
                name -> consumer(idempotency, properties, ids, transactions, name));
    return listener -> IdempotentRabbitListener.wrap(listener, consumers);
  }

  private static IdempotentConsumer<Message> consumer(
      Idempotency idempotency,
      IdempotentRabbitProperties properties,
      MessageId<Message> ids,
      @Nullable TransactionRunner transactions,
      String name) {
    IdempotentConsumer.Builder<Message> builder =
        IdempotentConsumer.builder(idempotency, name, ids);
    @SuppressWarnings("unchecked")
    Class<? extends Throwable>[] permanent = properties.permanentFailures().toArray(new Class[0]);
    builder.permanentFailures(permanent);
    if (transactions != null) {
      builder.transactions(transactions);
    }
    if (properties.onInProgress() != null) {
      builder.onInProgress(properties.onInProgress());
    }
    if (properties.waitTimeout() != null) {
      builder.waitTimeout(properties.waitTimeout());
    }
    if (properties.ttl() != null) {
      builder.ttl(properties.ttl());
    }
    return builder.build();
  }

  /** {@code rabbit/<queue>}, with characters operation names do not allow replaced by '_'. */
  static String operationName(@Nullable String queue) {
    String safe =
        queue == null || queue.isEmpty()
            ? "unknown"
            : queue.replaceAll("[^A-Za-z0-9._\\-/#$@]", "_");
    String name = "rabbit/" + safe;
    return name.length() <= 100 ? name : name.substring(0, 100);
  }
}

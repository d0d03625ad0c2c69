package dev.idem.messaging.amqp.spring;

import dev.idem.annotation.OnInProgress;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code idem.messaging.rabbit.*} properties: idempotent {@code @RabbitListener} containers.
 *
 * <pre>
 * idem.messaging.rabbit.permanent-failures=com.example.InvalidOrderException
 * idem.messaging.rabbit.message-id-header=event-id
 * idem.messaging.rabbit.ttl=7d
 * </pre>
 *
 * @param enabled whether every container of Spring Boot's listener container factory is made
 *     idempotent
 * @param messageIdHeader the header holding the message id; null for the AMQP message-id property
 * @param permanentFailures exception types stored as the message's outcome and dead-lettered
 *     instead of redelivered
 * @param onInProgress what a duplicate does while the first delivery is handled: wait (the default)
 *     or reject; null for the configuration's default
 * @param waitTimeout the longest a duplicate waits for the first delivery before it is requeued;
 *     null for the configuration's default
 * @param ttl how long a handled message's record is kept, longer than redeliveries and
 *     re-publishing; null for the configuration's default
 * @param transactional whether each delivery runs in a transaction of the application's transaction
 *     manager
 */
@ConfigurationProperties("idem.messaging.rabbit")
public record IdempotentRabbitProperties(
    @DefaultValue("true") boolean enabled,
    @Nullable String messageIdHeader,
    @DefaultValue List<Class<? extends Throwable>> permanentFailures,
    @Nullable OnInProgress onInProgress,
    @Nullable Duration waitTimeout,
    @Nullable Duration ttl,
    @DefaultValue("true") boolean transactional) {}

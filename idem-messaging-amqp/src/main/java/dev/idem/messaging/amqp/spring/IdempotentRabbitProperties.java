package dev.idem.messaging.amqp.spring;

import dev.idem.annotation.OnInProgress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code idem.messaging.rabbit.*} properties: idempotent {@code @RabbitListener} containers.
 *
 * <pre>
 * idem.messaging.rabbit.permanent-failures=com.example.InvalidOrderException
 * idem.messaging.rabbit.message-id-header=event-id
 * idem.messaging.rabbit.ttl=7d
 * </pre>
 */
@ConfigurationProperties("idem.messaging.rabbit")
public class IdempotentRabbitProperties {

  /** Whether every container of Spring Boot's listener container factory is made idempotent. */
  private boolean enabled = true;

  /** The header holding the message id; by default the AMQP message-id property. */
  private @Nullable String messageIdHeader;

  /** Exception types stored as the message's outcome and dead-lettered instead of redelivered. */
  private List<Class<? extends Throwable>> permanentFailures = new ArrayList<>();

  /** What a duplicate does while the first delivery is handled: wait (default) or reject. */
  private @Nullable OnInProgress onInProgress;

  /** The longest a duplicate waits for the first delivery before it is requeued. */
  private @Nullable Duration waitTimeout;

  /** How long a handled message's record is kept; longer than redeliveries and re-publishing. */
  private @Nullable Duration ttl;

  /** Whether each delivery runs in a transaction of the application's transaction manager. */
  private boolean transactional = true;

  /**
   * Returns whether listeners are made idempotent.
   *
   * @return the flag
   */
  public boolean isEnabled() {
    return enabled;
  }

  /**
   * Sets whether listeners are made idempotent.
   *
   * @param enabled the flag
   */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /**
   * Returns the header holding the message id.
   *
   * @return the header, or null for the message-id property
   */
  public @Nullable String getMessageIdHeader() {
    return messageIdHeader;
  }

  /**
   * Sets the header holding the message id.
   *
   * @param messageIdHeader the header, or null for the message-id property
   */
  public void setMessageIdHeader(@Nullable String messageIdHeader) {
    this.messageIdHeader = messageIdHeader;
  }

  /**
   * Returns the permanent failure types.
   *
   * @return the types
   */
  public List<Class<? extends Throwable>> getPermanentFailures() {
    return permanentFailures;
  }

  /**
   * Sets the permanent failure types.
   *
   * @param permanentFailures the types
   */
  public void setPermanentFailures(List<Class<? extends Throwable>> permanentFailures) {
    this.permanentFailures = permanentFailures;
  }

  /**
   * Returns the in-progress behaviour.
   *
   * @return the behaviour, or null for the configuration's default
   */
  public @Nullable OnInProgress getOnInProgress() {
    return onInProgress;
  }

  /**
   * Sets the in-progress behaviour.
   *
   * @param onInProgress WAIT or REJECT
   */
  public void setOnInProgress(@Nullable OnInProgress onInProgress) {
    this.onInProgress = onInProgress;
  }

  /**
   * Returns the wait timeout.
   *
   * @return the timeout, or null for the configuration's default
   */
  public @Nullable Duration getWaitTimeout() {
    return waitTimeout;
  }

  /**
   * Sets the wait timeout.
   *
   * @param waitTimeout the timeout
   */
  public void setWaitTimeout(@Nullable Duration waitTimeout) {
    this.waitTimeout = waitTimeout;
  }

  /**
   * Returns the record time to live.
   *
   * @return the ttl, or null for the configuration's default
   */
  public @Nullable Duration getTtl() {
    return ttl;
  }

  /**
   * Sets the record time to live.
   *
   * @param ttl the ttl
   */
  public void setTtl(@Nullable Duration ttl) {
    this.ttl = ttl;
  }

  /**
   * Returns whether deliveries run in a transaction of the transaction manager.
   *
   * @return the flag
   */
  public boolean isTransactional() {
    return transactional;
  }

  /**
   * Sets whether deliveries run in a transaction of the transaction manager.
   *
   * @param transactional the flag
   */
  public void setTransactional(boolean transactional) {
    this.transactional = transactional;
  }
}

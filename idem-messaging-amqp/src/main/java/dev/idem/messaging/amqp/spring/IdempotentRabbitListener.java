package dev.idem.messaging.amqp.spring;

import com.rabbitmq.client.Channel;
import dev.idem.messaging.ConsumeResult;
import dev.idem.messaging.Disposition;
import dev.idem.messaging.IdempotentConsumer;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.amqp.AmqpRejectAndDontRequeueException;
import org.springframework.amqp.ImmediateRequeueAmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageListener;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.amqp.rabbit.support.ListenerExecutionFailedException;

/**
 * A Spring AMQP listener that runs another listener (a {@code @RabbitListener} method's adapter,
 * for one) through an {@link IdempotentConsumer} and turns the result into what the container does
 * with the delivery:
 *
 * <ul>
 *   <li>{@link Disposition#PROCESSED}, {@link Disposition#DUPLICATE}: returns normally, so the
 *       container acknowledges (a duplicate's listener does not run);
 *   <li>{@link Disposition#IN_PROGRESS}: throws {@link ImmediateRequeueAmqpException}, so the
 *       delivery is requeued;
 *   <li>{@link Disposition#RETRY}: rethrows the listener's exception (the container requeues it, as
 *       it would without Idem);
 *   <li>{@link Disposition#DEAD_LETTER}, {@link Disposition#INVALID}: throws {@link
 *       AmqpRejectAndDontRequeueException}, so the broker dead-letters it.
 * </ul>
 *
 * <p>Single-message listeners only (not batch listeners), on containers with {@code AUTO}
 * acknowledgement (the default). Thread-safe when the delegate is.
 */
public final class IdempotentRabbitListener implements ChannelAwareMessageListener {

  private final MessageListener delegate;
  private final Function<Message, IdempotentConsumer<Message>> consumers;

  private IdempotentRabbitListener(
      MessageListener delegate, Function<Message, IdempotentConsumer<Message>> consumers) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.consumers = Objects.requireNonNull(consumers, "consumers");
  }

  /**
   * Wraps a listener.
   *
   * @param delegate the listener to run once per message id
   * @param consumers the consumer for a delivered message (e.g. one per consumer queue)
   * @return the idempotent listener
   */
  public static IdempotentRabbitListener wrap(
      MessageListener delegate, Function<Message, IdempotentConsumer<Message>> consumers) {
    return new IdempotentRabbitListener(delegate, consumers);
  }

  /**
   * Returns the wrapped listener.
   *
   * @return the delegate
   */
  public MessageListener delegate() {
    return delegate;
  }

  @Override
  public void onMessage(Message message) {
    try {
      onMessage(message, null);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new ListenerExecutionFailedException("Listener threw exception", e, message);
    }
  }

  @Override
  public void onMessage(Message message, @Nullable Channel channel) throws Exception {
    IdempotentConsumer<Message> consumer = consumers.apply(message);
    Exception[] thrown = new Exception[1];
    ConsumeResult result =
        consumer.handle(
            message,
            m -> {
              try {
                if (delegate instanceof ChannelAwareMessageListener aware) {
                  aware.onMessage(m, channel);
                } else {
                  delegate.onMessage(m);
                }
              } catch (Exception e) {
                thrown[0] = e;
                throw unwrap(e);
              }
            });
    Disposition disposition = result.disposition();
    if (disposition.acknowledge()) {
      return;
    }
    Throwable failure = result.failure().orElseThrow();
    switch (disposition) {
      case IN_PROGRESS:
        throw new ImmediateRequeueAmqpException(
            "Consumer '" + consumer.name() + "': the message is being handled elsewhere", failure);
      case RETRY:
        if (thrown[0] != null) {
          throw thrown[0];
        }
        throw new ImmediateRequeueAmqpException(
            "Consumer '" + consumer.name() + "': could not handle the message now", failure);
      default:
        throw new AmqpRejectAndDontRequeueException(
            "Consumer '"
                + consumer.name()
                + "': "
                + (disposition == Disposition.INVALID
                    ? "the message has no usable id"
                    : "permanent failure")
                + "; dead-lettered",
            failure);
    }
  }

  /** The listener adapter wraps the method's exception; classify the method's own. */
  private static Exception unwrap(Exception e) {
    Throwable cause = e;
    while (cause instanceof ListenerExecutionFailedException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause instanceof Exception unwrapped ? unwrapped : e;
  }
}

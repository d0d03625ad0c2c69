package dev.idem.messaging.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DeliverCallback;
import com.rabbitmq.client.Delivery;
import dev.idem.messaging.ConsumeResult;
import dev.idem.messaging.Disposition;
import dev.idem.messaging.IdempotentConsumer;
import dev.idem.messaging.MessageHandler;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * A {@link DeliverCallback} for a manual-acknowledgement consumer ({@code autoAck = false}) that
 * hands each delivery to an {@link IdempotentConsumer} and settles it as the result says:
 *
 * <ul>
 *   <li>{@link Disposition#PROCESSED}, {@link Disposition#DUPLICATE}: {@code basicAck};
 *   <li>{@link Disposition#IN_PROGRESS}, {@link Disposition#RETRY}: {@code basicNack} with requeue,
 *       so the broker redelivers it;
 *   <li>{@link Disposition#DEAD_LETTER}, {@link Disposition#INVALID}: {@code basicReject} without
 *       requeue, so the broker routes it to the queue's dead-letter exchange ({@code
 *       x-dead-letter-exchange}; without one RabbitMQ discards it, so declare one).
 * </ul>
 *
 * <p>The acknowledgement follows the handler's commit: a consumer that dies between them leaves the
 * message unacknowledged, the broker redelivers it, and the stored record makes the redelivery a
 * duplicate.
 *
 * <pre>{@code
 * channel.basicQos(16);
 * channel.basicConsume(queue, false,
 *     IdempotentDeliverCallback.of(channel, consumer, delivery -> orders.apply(delivery)),
 *     tag -> {});
 * }</pre>
 *
 * <p>Deliveries of one channel are handled one at a time, on the client's consumer thread.
 */
public final class IdempotentDeliverCallback implements DeliverCallback {

  private static final System.Logger LOG =
      System.getLogger(IdempotentDeliverCallback.class.getName());

  private final Channel channel;
  private final IdempotentConsumer<Delivery> consumer;
  private final MessageHandler<Delivery> handler;
  private final BiConsumer<Delivery, ConsumeResult> listener;

  private IdempotentDeliverCallback(
      Channel channel,
      IdempotentConsumer<Delivery> consumer,
      MessageHandler<Delivery> handler,
      BiConsumer<Delivery, ConsumeResult> listener) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.consumer = Objects.requireNonNull(consumer, "consumer");
    this.handler = Objects.requireNonNull(handler, "handler");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Creates a callback that settles deliveries on {@code channel}.
   *
   * @param channel the channel the consumer was registered on, with manual acknowledgements
   * @param consumer the idempotent consumer
   * @param handler the application's handling of a delivery
   * @return the callback
   */
  public static IdempotentDeliverCallback of(
      Channel channel, IdempotentConsumer<Delivery> consumer, MessageHandler<Delivery> handler) {
    return new IdempotentDeliverCallback(channel, consumer, handler, (d, r) -> {});
  }

  /**
   * Returns a callback like this one that also reports each result, before the delivery is settled
   * (for counters and tests).
   *
   * @param listener receives each delivery and its result
   * @return the new callback
   */
  public IdempotentDeliverCallback onResult(BiConsumer<Delivery, ConsumeResult> listener) {
    return new IdempotentDeliverCallback(channel, consumer, handler, listener);
  }

  @Override
  public void handle(String consumerTag, Delivery delivery) throws IOException {
    ConsumeResult result = consumer.handle(delivery, handler);
    listener.accept(delivery, result);
    long tag = delivery.getEnvelope().getDeliveryTag();
    Disposition disposition = result.disposition();
    if (disposition.acknowledge()) {
      channel.basicAck(tag, false);
    } else if (disposition.redeliver()) {
      LOG.log(
          Level.DEBUG,
          "Consumer ''{0}'': requeued a delivery ({1})",
          consumer.name(),
          result.failure().map(Object::toString).orElse(disposition.name()));
      channel.basicNack(tag, false, true);
    } else {
      LOG.log(
          Level.WARNING,
          "Consumer ''{0}'': rejected a delivery without requeue ({1}); it goes to the queue''s"
              + " dead-letter exchange",
          consumer.name(),
          result.failure().map(Object::toString).orElse(disposition.name()));
      channel.basicReject(tag, false);
    }
  }
}

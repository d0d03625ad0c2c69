package dev.idem.messaging.amqp;

import com.rabbitmq.client.Delivery;
import dev.idem.messaging.MessageId;
import java.util.Map;
import java.util.Objects;

/** Message ids of RabbitMQ Java client deliveries. */
public final class AmqpMessageIds {

  private AmqpMessageIds() {}

  /**
   * Returns the AMQP {@code message-id} property, which publishers set once per message and keep
   * when they re-publish it; null (the message is refused) when it is absent.
   *
   * @return the extractor
   */
  public static MessageId<Delivery> messageId() {
    return delivery -> delivery.getProperties().getMessageId();
  }

  /**
   * Returns a header's value, as text (AMQP long strings are converted); null when it is absent.
   *
   * @param name the header name, e.g. a business event id the producer sets
   * @return the extractor
   */
  public static MessageId<Delivery> header(String name) {
    Objects.requireNonNull(name, "name");
    return delivery -> {
      Map<String, Object> headers = delivery.getProperties().getHeaders();
      Object value = headers == null ? null : headers.get(name);
      return value == null ? null : value.toString();
    };
  }
}

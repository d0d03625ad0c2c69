package dev.idem.messaging.amqp.spring;

import dev.idem.messaging.MessageId;
import java.util.Objects;
import org.springframework.amqp.core.Message;

/** Message ids of Spring AMQP messages. */
public final class RabbitMessageIds {

  private RabbitMessageIds() {}

  /**
   * Returns the AMQP {@code message-id} property; null (the message is refused) when absent.
   *
   * @return the extractor
   */
  public static MessageId<Message> messageId() {
    return message -> message.getMessageProperties().getMessageId();
  }

  /**
   * Returns a header's value, as text; null when it is absent.
   *
   * @param name the header name
   * @return the extractor
   */
  public static MessageId<Message> header(String name) {
    Objects.requireNonNull(name, "name");
    return message -> {
      Object value = message.getMessageProperties().getHeaders().get(name);
      return value == null ? null : value.toString();
    };
  }
}

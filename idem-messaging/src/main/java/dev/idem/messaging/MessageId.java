package dev.idem.messaging;

import org.jspecify.annotations.Nullable;

/**
 * Extracts the idempotency key of a message: the broker's message id, a header, or a business event
 * id from the body. Two deliveries with the same key are the same message.
 *
 * @param <M> the message type
 */
@FunctionalInterface
public interface MessageId<M> {

  /**
   * Returns the message's id; strings, numbers, UUIDs and enums are used as text.
   *
   * @param message the message
   * @return the id, or null when the message has none (the message is then {@linkplain
   *     Disposition#INVALID refused}, never handled)
   */
  @Nullable Object of(M message);
}

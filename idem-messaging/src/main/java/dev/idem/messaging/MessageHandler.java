package dev.idem.messaging;

/**
 * The application's handling of one message: its effects, usually database writes. Runs at most
 * once per message id while the dedup record lives (once per committed transaction in the
 * transactional mode).
 *
 * @param <M> the message type
 */
@FunctionalInterface
public interface MessageHandler<M> {

  /**
   * Handles the message.
   *
   * @param message the message
   * @throws Exception to have the message redelivered (the key is released), or a {@linkplain
   *     IdempotentConsumer.Builder#permanentFailures permanent failure} to dead-letter it
   */
  void handle(M message) throws Exception;
}

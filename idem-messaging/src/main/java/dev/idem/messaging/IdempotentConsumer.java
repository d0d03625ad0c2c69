package dev.idem.messaging;

import dev.idem.Idempotency;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyKeyException;
import dev.idem.IdempotencyKeyReuseException;
import dev.idem.IdempotencyReplayUnavailableException;
import dev.idem.IdempotentOperation;
import dev.idem.annotation.OnInProgress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * An idempotent consumer: runs a {@link MessageHandler} once per message id and tells the broker
 * adapter what to do with each delivery. Built on an {@link IdempotentOperation} with a {@code
 * void} result, so every store and policy of Idem applies; no second algorithm.
 *
 * <ul>
 *   <li>A new id runs the handler; its completion is stored under the id ({@link
 *       Disposition#PROCESSED}).
 *   <li>A duplicate of a completed message is skipped and acknowledged ({@link
 *       Disposition#DUPLICATE}); the engine counts it as a replay ({@code idem.calls},
 *       outcome=replayed).
 *   <li>A duplicate that arrives while the first delivery is being handled waits for it (then is a
 *       duplicate) or, with {@link OnInProgress#REJECT} or when the wait times out, is redelivered
 *       later ({@link Disposition#IN_PROGRESS}).
 *   <li>A handler exception releases the id and the message is redelivered ({@link
 *       Disposition#RETRY}), unless its type is a {@linkplain Builder#permanentFailures permanent
 *       failure}: that is stored, so duplicates fail the same way without running, and the message
 *       is dead-lettered ({@link Disposition#DEAD_LETTER}).
 *   <li>A message without a usable id is never handled: {@link Disposition#INVALID} with an {@link
 *       IdempotencyKeyException}.
 * </ul>
 *
 * <p><b>Transactions.</b> With a {@link Builder#transactions TransactionRunner} and the SQL store
 * in transactional mode bound to the same transactions, the claim, the handler's writes and the
 * completion commit in one database transaction: a crash anywhere leaves all or none of them, so a
 * redelivered message whose transaction committed is skipped, and one whose transaction did not is
 * handled again from scratch. A permanent failure rolls the handler's writes back and stores the
 * failure in a second transaction.
 *
 * <pre>{@code
 * IdempotentConsumer<Delivery> consumer =
 *     IdempotentConsumer.builder(idempotency, "orders.placed", AmqpMessageIds.messageId())
 *         .permanentFailures(InvalidOrderException.class)
 *         .build();
 * ConsumeResult result = consumer.handle(delivery, d -> orders.apply(d));
 * }</pre>
 *
 * <p>Thread-safe.
 *
 * @param <M> the message type
 */
public final class IdempotentConsumer<M> {

  private final String name;
  private final MessageId<? super M> messageId;
  private final @Nullable Function<? super M, ?> payload;
  private final List<Class<? extends Throwable>> permanentFailures;
  private final @Nullable TransactionRunner transactions;
  private final IdempotentOperation<Void> operation;

  private IdempotentConsumer(Builder<M> builder) {
    this.name = builder.name;
    this.messageId = builder.messageId;
    this.payload = builder.payload;
    this.permanentFailures = builder.permanentFailures;
    this.transactions = builder.transactions;
    IdempotentOperation.Builder<Void> op =
        builder.idempotency.operation(builder.name, Void.class).replayOn(permanentFailuresArray());
    if (builder.ttl != null) {
      op.ttl(builder.ttl);
    }
    if (builder.lease != null) {
      op.lease(builder.lease);
    }
    if (builder.onInProgress != null) {
      op.onInProgress(builder.onInProgress);
    }
    if (builder.waitTimeout != null) {
      op.waitTimeout(builder.waitTimeout);
    }
    this.operation = op.build();
  }

  @SuppressWarnings("unchecked")
  private Class<? extends Throwable>[] permanentFailuresArray() {
    return permanentFailures.toArray(new Class[0]);
  }

  /**
   * Starts building a consumer.
   *
   * @param idempotency the Idem instance (its store holds the dedup records)
   * @param name the stable operation name, part of every key: one per consumer (queue, topic and
   *     group), so that ids of different streams never collide
   * @param messageId extracts the id of a message
   * @param <M> the message type
   * @return the builder
   */
  public static <M> Builder<M> builder(
      Idempotency idempotency, String name, MessageId<? super M> messageId) {
    return new Builder<>(idempotency, name, messageId);
  }

  /**
   * Returns the operation name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Handles one delivery: runs the handler unless the message was handled before, and says what the
   * adapter must do with the delivery. Never throws for a handler failure (that is in the result);
   * only a {@link VirtualMachineError} propagates.
   *
   * @param message the delivered message
   * @param handler the handling
   * @return what to do with the delivery
   */
  public ConsumeResult handle(M message, MessageHandler<? super M> handler) {
    Objects.requireNonNull(handler, "handler");
    Object id;
    try {
      id = messageId.of(message);
    } catch (RuntimeException e) {
      return ConsumeResult.failed(
          Disposition.INVALID, IdempotencyKeyException.evaluationFailed(name, e));
    }
    if (id == null || (id instanceof CharSequence text && text.toString().isBlank())) {
      return ConsumeResult.failed(
          Disposition.INVALID,
          IdempotencyKeyException.invalid(
              name, "the message has no usable id (null or blank), so it cannot be deduplicated"));
    }
    Object fingerprinted;
    try {
      fingerprinted = payload == null ? null : payload.apply(message);
    } catch (RuntimeException e) {
      return ConsumeResult.failed(
          Disposition.INVALID, IdempotencyKeyException.evaluationFailed(name, e));
    }
    return transactions == null
        ? attempt(id, fingerprinted, message, handler)
        : attemptInTransaction(transactions, id, fingerprinted, message, handler);
  }

  private ConsumeResult attempt(
      Object id, @Nullable Object fingerprinted, M message, MessageHandler<? super M> handler) {
    boolean[] ran = new boolean[1];
    try {
      operation.execute(
          id,
          fingerprinted,
          () -> {
            ran[0] = true;
            handler.handle(message);
            return null;
          });
      return ran[0] ? ConsumeResult.processed() : ConsumeResult.duplicate();
    } catch (Throwable t) {
      return classify(t);
    }
  }

  private ConsumeResult attemptInTransaction(
      TransactionRunner runner,
      Object id,
      @Nullable Object fingerprinted,
      M message,
      MessageHandler<? super M> handler) {
    ConsumeResult[] result = new ConsumeResult[1];
    try {
      runner.inTransaction(
          () -> {
            result[0] = attempt(id, fingerprinted, message, handler);
            if (!result[0].disposition().acknowledge()) {
              throw new RolledBack();
            }
          });
    } catch (RolledBack expected) {
      // the handler's writes and the claim rolled back
    } catch (RuntimeException commitFailed) {
      if (result[0] == null || result[0].disposition().acknowledge()) {
        // the work ran but the commit failed: nothing (or, if the commit's reply was lost,
        // everything) is stored; a redelivery then runs again or is skipped
        return ConsumeResult.failed(Disposition.RETRY, commitFailed);
      }
    }
    ConsumeResult done = Objects.requireNonNull(result[0]);
    if (done.disposition() == Disposition.DEAD_LETTER
        && isPermanent(done.failure().orElseThrow())) {
      storePermanentFailure(runner, id, fingerprinted, done.failure().orElseThrow());
    }
    return done;
  }

  /** Records a permanent failure whose transaction rolled back, so duplicates dead-letter too. */
  private void storePermanentFailure(
      TransactionRunner runner, Object id, @Nullable Object fingerprinted, Throwable failure) {
    try {
      runner.inTransaction(
          () -> {
            try {
              operation.execute(
                  id,
                  fingerprinted,
                  () -> {
                    throw failure;
                  });
            } catch (Throwable storedOrReplayed) {
              // stored with this transaction, or another delivery's outcome was found
            }
          });
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  private ConsumeResult classify(Throwable t) {
    if (t instanceof VirtualMachineError error) {
      throw error;
    }
    if (t instanceof IdempotencyInProgressException) {
      return ConsumeResult.failed(Disposition.IN_PROGRESS, t);
    }
    if (t instanceof IdempotencyKeyException) {
      return ConsumeResult.failed(Disposition.INVALID, t);
    }
    if (t instanceof IdempotencyKeyReuseException) {
      return ConsumeResult.failed(Disposition.DEAD_LETTER, t);
    }
    if (t instanceof IdempotencyReplayUnavailableException) {
      return ConsumeResult.duplicate(); // a completed message whose (void) outcome was not kept
    }
    if (isPermanent(t)) {
      return ConsumeResult.failed(Disposition.DEAD_LETTER, t);
    }
    return ConsumeResult.failed(Disposition.RETRY, t);
  }

  private boolean isPermanent(Throwable t) {
    for (Class<? extends Throwable> type : permanentFailures) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** Unwinds the runner's transaction so it rolls back; never leaves this class. */
  private static final class RolledBack extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RolledBack() {
      super(null, null, false, false);
    }
  }

  /**
   * Builds an {@link IdempotentConsumer}. Unset settings come from the Idem configuration's
   * defaults (record ttl 24 h: keep it longer than the broker's redelivery window). Not
   * thread-safe.
   *
   * @param <M> the message type
   */
  public static final class Builder<M> {
    private final Idempotency idempotency;
    private final String name;
    private final MessageId<? super M> messageId;
    private @Nullable Function<? super M, ?> payload;
    private List<Class<? extends Throwable>> permanentFailures = List.of();
    private @Nullable TransactionRunner transactions;
    private @Nullable Duration ttl;
    private @Nullable Duration lease;
    private @Nullable OnInProgress onInProgress;
    private @Nullable Duration waitTimeout;

    private Builder(Idempotency idempotency, String name, MessageId<? super M> messageId) {
      this.idempotency = Objects.requireNonNull(idempotency, "idempotency");
      this.name = Objects.requireNonNull(name, "name");
      this.messageId = Objects.requireNonNull(messageId, "messageId");
    }

    /**
     * Fingerprints each message's payload, so that an id reused with a different payload is
     * dead-lettered ({@link IdempotencyKeyReuseException}) instead of skipped as a duplicate.
     *
     * @param payload selects what to fingerprint (converted to canonical JSON)
     * @return this builder
     */
    public Builder<M> fingerprint(Function<? super M, ?> payload) {
      this.payload = Objects.requireNonNull(payload, "payload");
      return this;
    }

    /**
     * Sets the exception types that are permanent: stored as the message's outcome (duplicates fail
     * the same way without running) and dead-lettered instead of redelivered.
     *
     * @param types exception types (not {@code Error}s), each with a public constructor taking a
     *     message
     * @return this builder
     */
    @SafeVarargs
    public final Builder<M> permanentFailures(Class<? extends Throwable>... types) {
      this.permanentFailures = List.of(types);
      return this;
    }

    /**
     * Runs each delivery in a database transaction, so that with the SQL store in transactional
     * mode the dedup record and the handler's writes commit together.
     *
     * @param transactions starts the transactions the store is bound to
     * @return this builder
     */
    public Builder<M> transactions(TransactionRunner transactions) {
      this.transactions = Objects.requireNonNull(transactions, "transactions");
      return this;
    }

    /**
     * Sets how long a handled message's record is kept: longer than the broker can redeliver or
     * producers re-publish it.
     *
     * @param ttl a positive duration
     * @return this builder
     */
    public Builder<M> ttl(Duration ttl) {
      this.ttl = ttl;
      return this;
    }

    /**
     * Sets how long a claim stays exclusive without renewal (outside transactions): a crashed
     * consumer's message is taken over after it.
     *
     * @param lease a positive duration
     * @return this builder
     */
    public Builder<M> lease(Duration lease) {
      this.lease = lease;
      return this;
    }

    /**
     * Sets what a duplicate does while the first delivery is handled: {@link OnInProgress#WAIT}
     * (the default, up to the wait timeout) or {@link OnInProgress#REJECT} (redeliver at once).
     *
     * @param onInProgress the behaviour
     * @return this builder
     */
    public Builder<M> onInProgress(OnInProgress onInProgress) {
      this.onInProgress = onInProgress;
      return this;
    }

    /**
     * Sets the longest a duplicate waits for the first delivery before it is redelivered.
     *
     * @param waitTimeout a positive duration
     * @return this builder
     */
    public Builder<M> waitTimeout(Duration waitTimeout) {
      this.waitTimeout = waitTimeout;
      return this;
    }

    /**
     * Builds and validates the consumer.
     *
     * @return the consumer
     * @throws dev.idem.IdempotencyConfigurationException if a setting is invalid
     */
    public IdempotentConsumer<M> build() {
      return new IdempotentConsumer<>(this);
    }
  }
}

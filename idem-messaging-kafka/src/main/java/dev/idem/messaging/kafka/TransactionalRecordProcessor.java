package dev.idem.messaging.kafka;

import dev.idem.Idempotency;
import dev.idem.messaging.ConsumeResult;
import dev.idem.messaging.Disposition;
import dev.idem.messaging.IdempotentConsumer;
import dev.idem.messaging.MessageHandler;
import dev.idem.messaging.MessageId;
import dev.idem.messaging.TransactionRunner;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * Runs the records of a Kafka poll loop exactly once in effect: each record's handler, its dedup
 * record and the partition's next offset commit in one database transaction ({@link
 * KafkaOffsetStore}); the consumer resumes from the stored offsets after a crash or a rebalance.
 *
 * <pre>{@code
 * JooqTransactionBinding binding = JooqTransactionBinding.create();
 * DSLContext dsl = binding.bind(DSL.using(dataSource, SQLDialect.POSTGRES));
 * KafkaOffsetStore offsets =
 *     KafkaOffsetStore.builder(dataSource, SQLDialect.POSTGRES, "ledger", binding).build();
 * TransactionalRecordProcessor<String, String> processor =
 *     TransactionalRecordProcessor.<String, String>builder(
 *             idempotency, "ledger.events", offsets, work -> dsl.transaction(trx -> work.run()))
 *         .messageId(KafkaMessageIds.header("event-id"))
 *         .build();
 *
 * consumer.subscribe(List.of("account-events"), offsets.rebalanceListener(consumer));
 * while (running) {
 *   processor.process(consumer, consumer.poll(Duration.ofMillis(500)), record -> apply(record));
 * }
 * }</pre>
 *
 * <p>Per record: {@link Disposition#PROCESSED} — the handler's writes, the dedup record and the
 * offset committed together; {@link Disposition#DUPLICATE} — the offset is stored in a transaction
 * of its own; {@link Disposition#RETRY} and {@link Disposition#IN_PROGRESS} — the partition is
 * sought back to the record and the rest of its batch is left for the next poll; {@link
 * Disposition#DEAD_LETTER} and {@link Disposition#INVALID} — the dead-letter handler runs (by
 * default a warning is logged; Spring's convention is a {@code <topic>.DLT} topic), then the offset
 * is stored. After a batch the offsets are also committed to Kafka, asynchronously, as a hint for
 * tools; the database is the truth.
 *
 * <p>Use from the thread that polls the consumer. The store of the {@link Idempotency} instance
 * should be the SQL store in transactional mode on the same database and binding.
 *
 * @param <K> the record key type
 * @param <V> the record value type
 */
public final class TransactionalRecordProcessor<K, V> {

  private static final System.Logger LOG =
      System.getLogger(TransactionalRecordProcessor.class.getName());

  private final IdempotentConsumer<ConsumerRecord<K, V>> consumer;
  private final KafkaOffsetStore offsets;
  private final TransactionRunner transactions;
  private final BiConsumer<ConsumerRecord<K, V>, Throwable> deadLetters;
  private final BiConsumer<ConsumerRecord<K, V>, ConsumeResult> listener;
  private final boolean commitToKafka;

  private TransactionalRecordProcessor(Builder<K, V> b) {
    IdempotentConsumer.Builder<ConsumerRecord<K, V>> builder =
        IdempotentConsumer.<ConsumerRecord<K, V>>builder(b.idempotency, b.name, b.messageId)
            .transactions(b.transactions);
    builder.permanentFailures(b.permanentFailures);
    if (b.ttl != null) {
      builder.ttl(b.ttl);
    }
    this.consumer = builder.build();
    this.offsets = b.offsets;
    this.transactions = b.transactions;
    this.deadLetters = b.deadLetters;
    this.listener = b.listener;
    this.commitToKafka = b.commitToKafka;
  }

  /**
   * Starts building a processor.
   *
   * @param idempotency the Idem instance (SQL store, transactional mode)
   * @param name the consumer's operation name, part of every dedup key
   * @param offsets the consumer group's offsets
   * @param transactions starts the database transactions the store and the offsets join
   * @param <K> the record key type
   * @param <V> the record value type
   * @return the builder
   */
  public static <K, V> Builder<K, V> builder(
      Idempotency idempotency,
      String name,
      KafkaOffsetStore offsets,
      TransactionRunner transactions) {
    return new Builder<>(idempotency, name, offsets, transactions);
  }

  /**
   * Handles one record and stores its partition's next offset with the handler's writes.
   *
   * @param record the record
   * @param handler the application's handling
   * @return what happened; when {@linkplain Disposition#redeliver() redelivery} is asked for, the
   *     caller must seek back to the record (as {@link #process} does)
   */
  public ConsumeResult handle(
      ConsumerRecord<K, V> record, MessageHandler<ConsumerRecord<K, V>> handler) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    long next = record.offset() + 1;
    ConsumeResult result =
        consumer.handle(
            record,
            r -> {
              handler.handle(r);
              offsets.store(tp, next);
            });
    listener.accept(record, result);
    Disposition disposition = result.disposition();
    if (disposition == Disposition.DUPLICATE) {
      transactions.inTransaction(() -> offsets.store(tp, next));
    } else if (disposition == Disposition.DEAD_LETTER || disposition == Disposition.INVALID) {
      deadLetters.accept(record, result.failure().orElseThrow());
      transactions.inTransaction(() -> offsets.store(tp, next));
    }
    return result;
  }

  /**
   * Handles a poll's records partition by partition, in offset order. A record to redeliver stops
   * its partition: the consumer is sought back to it, and the next poll returns it again.
   *
   * @param kafka the consumer that returned the records
   * @param records the records
   * @param handler the application's handling
   * @return the number of records settled (handled, skipped or dead-lettered)
   */
  public int process(
      Consumer<K, V> kafka,
      ConsumerRecords<K, V> records,
      MessageHandler<ConsumerRecord<K, V>> handler) {
    int settled = 0;
    Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<K, V>> batch = records.records(tp);
      for (ConsumerRecord<K, V> record : batch) {
        ConsumeResult result = handle(record, handler);
        if (result.disposition().redeliver()) {
          LOG.log(
              Level.DEBUG,
              "Consumer ''{0}'': {1} will be read again ({2})",
              consumer.name(),
              tp,
              result);
          kafka.seek(tp, record.offset());
          break;
        }
        settled++;
        done.put(tp, new OffsetAndMetadata(record.offset() + 1));
      }
    }
    if (commitToKafka && !done.isEmpty()) {
      kafka.commitAsync(done, null);
    }
    return settled;
  }

  /**
   * Builds a {@link TransactionalRecordProcessor}. Not thread-safe.
   *
   * @param <K> the record key type
   * @param <V> the record value type
   */
  public static final class Builder<K, V> {
    private final Idempotency idempotency;
    private final String name;
    private final KafkaOffsetStore offsets;
    private final TransactionRunner transactions;
    private MessageId<? super ConsumerRecord<K, V>> messageId = KafkaMessageIds.coordinates();
    private Class<? extends Throwable>[] permanentFailures = emptyTypes();
    private BiConsumer<ConsumerRecord<K, V>, Throwable> deadLetters =
        (record, failure) ->
            LOG.log(
                Level.WARNING,
                "Skipped record {0}-{1}@{2}: {3}",
                record.topic(),
                record.partition(),
                record.offset(),
                failure.toString());
    private BiConsumer<ConsumerRecord<K, V>, ConsumeResult> listener = (r, result) -> {};
    private boolean commitToKafka = true;
    private @Nullable Duration ttl;

    private Builder(
        Idempotency idempotency,
        String name,
        KafkaOffsetStore offsets,
        TransactionRunner transactions) {
      this.idempotency = Objects.requireNonNull(idempotency, "idempotency");
      this.name = Objects.requireNonNull(name, "name");
      this.offsets = Objects.requireNonNull(offsets, "offsets");
      this.transactions = Objects.requireNonNull(transactions, "transactions");
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends Throwable>[] emptyTypes() {
      return new Class[0];
    }

    /**
     * Sets the record's id, {@link KafkaMessageIds#coordinates()} by default.
     *
     * @param messageId the extractor
     * @return this builder
     */
    public Builder<K, V> messageId(MessageId<? super ConsumerRecord<K, V>> messageId) {
      this.messageId = Objects.requireNonNull(messageId, "messageId");
      return this;
    }

    /**
     * Sets the exception types that are permanent: stored and dead-lettered.
     *
     * @param types the types
     * @return this builder
     */
    @SafeVarargs
    public final Builder<K, V> permanentFailures(Class<? extends Throwable>... types) {
      this.permanentFailures = types.clone();
      return this;
    }

    /**
     * Sets what happens to a record that is dead-lettered or has no usable id, before its offset is
     * stored: publish it to a dead-letter topic, for one. By default a warning is logged.
     *
     * @param deadLetters receives the record and why
     * @return this builder
     */
    public Builder<K, V> deadLetters(BiConsumer<ConsumerRecord<K, V>, Throwable> deadLetters) {
      this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
      return this;
    }

    /**
     * Reports each record's result (for counters and tests).
     *
     * @param listener receives each record and its result
     * @return this builder
     */
    public Builder<K, V> onResult(BiConsumer<ConsumerRecord<K, V>, ConsumeResult> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Sets whether handled offsets are also committed to Kafka (asynchronously, as a hint for
     * monitoring tools); true by default.
     *
     * @param commitToKafka the flag
     * @return this builder
     */
    public Builder<K, V> commitToKafka(boolean commitToKafka) {
      this.commitToKafka = commitToKafka;
      return this;
    }

    /**
     * Sets how long dedup records are kept: longer than producers may re-publish a message.
     *
     * @param ttl a positive duration
     * @return this builder
     */
    public Builder<K, V> ttl(Duration ttl) {
      this.ttl = ttl;
      return this;
    }

    /**
     * Builds the processor.
     *
     * @return the processor
     */
    public TransactionalRecordProcessor<K, V> build() {
      return new TransactionalRecordProcessor<>(this);
    }
  }
}

package dev.idem.messaging.kafka;

import dev.idem.store.sql.SqlTransactionBinding;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jooq.Table;
import org.jooq.conf.RenderQuotedNames;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The consumer group's offsets, stored in the database next to the application's data: one row per
 * partition with the next offset to read, written in the same transaction as the handler's writes
 * and the dedup records, so a crash leaves both or neither. On assignment, the {@linkplain
 * #rebalanceListener rebalance listener} seeks each partition to its stored offset; Kafka's own
 * committed offsets are then only a hint (used where the table has no row yet).
 *
 * <p>One table per consumer group ({@code idem_offsets_<group>} by default), columns {@code topic},
 * {@code partition_no}, {@code next_offset}. A write never moves an offset back: a consumer that
 * lost its partition and still commits an older record cannot undo the new owner's progress.
 * PostgreSQL, MariaDB/MySQL and H2. Thread-safe.
 */
public final class KafkaOffsetStore {

  private final DSLContext dsl;
  private final SqlTransactionBinding transactions;
  private final Table<?> table;
  private final Field<String> topic;
  private final Field<Integer> partition;
  private final Field<Long> nextOffset;
  private final String tableName;

  private KafkaOffsetStore(Builder builder) {
    this.dsl =
        DSL.using(
            builder.dataSource,
            builder.dialect,
            new Settings().withRenderQuotedNames(RenderQuotedNames.ALWAYS));
    this.transactions = builder.transactions;
    this.tableName = builder.tableName;
    this.table = DSL.table(DSL.name(tableName));
    this.topic = DSL.field(DSL.name("topic"), SQLDataType.VARCHAR(249));
    this.partition = DSL.field(DSL.name("partition_no"), SQLDataType.INTEGER);
    this.nextOffset = DSL.field(DSL.name("next_offset"), SQLDataType.BIGINT);
  }

  /**
   * Starts building a store for one consumer group.
   *
   * @param dataSource the application's database
   * @param dialect its dialect
   * @param consumerGroup the consumer group, which names the default table
   * @param transactions reports the transaction the handler runs in (the SQL store's binding)
   * @return the builder
   */
  public static Builder builder(
      DataSource dataSource,
      SQLDialect dialect,
      String consumerGroup,
      SqlTransactionBinding transactions) {
    return new Builder(dataSource, dialect, consumerGroup, transactions);
  }

  /**
   * Returns the table name.
   *
   * @return the name
   */
  public String tableName() {
    return tableName;
  }

  /**
   * Creates the table if it does not exist.
   *
   * @return this store
   */
  public KafkaOffsetStore createSchemaIfMissing() {
    dsl.createTableIfNotExists(table)
        .column(DSL.field(DSL.name("topic"), SQLDataType.VARCHAR(249).nullable(false)))
        .column(DSL.field(DSL.name("partition_no"), SQLDataType.INTEGER.nullable(false)))
        .column(DSL.field(DSL.name("next_offset"), SQLDataType.BIGINT.nullable(false)))
        .constraint(DSL.primaryKey(DSL.name("topic"), DSL.name("partition_no")))
        .execute();
    return this;
  }

  /**
   * Returns the stored next offsets of some partitions, read outside any transaction.
   *
   * @param partitions the partitions
   * @return the next offset of each partition that has one
   */
  public Map<TopicPartition, Long> offsets(Collection<TopicPartition> partitions) {
    Map<TopicPartition, Long> found = new HashMap<>();
    if (partitions.isEmpty()) {
      return found;
    }
    dsl.select(topic, partition, nextOffset)
        .from(table)
        .fetch()
        .forEach(
            r -> {
              TopicPartition tp = new TopicPartition(r.value1(), r.value2());
              if (partitions.contains(tp)) {
                found.put(tp, r.value3());
              }
            });
    return found;
  }

  /**
   * Stores a partition's next offset in the calling thread's transaction; never moves it back.
   *
   * @param tp the partition
   * @param next the offset after the last record handled
   * @throws IllegalStateException if the thread is in no transaction of the binding
   */
  public void store(TopicPartition tp, long next) {
    DSLContext trx = transactions.currentTransaction();
    if (trx == null) {
      throw new IllegalStateException(
          "Kafka offsets are stored in the handler's transaction, and the thread is in none");
    }
    DSLContext ctx = DSL.using(trx.configuration().derive(dsl.settings()));
    int updated =
        ctx.update(table)
            .set(nextOffset, DSL.greatest(nextOffset, DSL.val(next)))
            .where(topic.eq(tp.topic()).and(partition.eq(tp.partition())))
            .execute();
    if (updated == 0) {
      ctx.insertInto(table, topic, partition, nextOffset)
          .values(tp.topic(), tp.partition(), next)
          .execute();
    }
  }

  /**
   * Returns a rebalance listener that, when partitions are assigned to {@code consumer}, seeks each
   * to its stored offset (partitions without a row keep the position Kafka gives them: the
   * committed offset, else {@code auto.offset.reset}).
   *
   * @param consumer the consumer the listener is registered on
   * @return the listener
   */
  public ConsumerRebalanceListener rebalanceListener(Consumer<?, ?> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    return new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        seek(consumer, partitions);
      }
    };
  }

  /**
   * Seeks the partitions to their stored offsets; the rebalance listeners call it on assignment.
   *
   * @param consumer the consumer the partitions are assigned to
   * @param partitions the assigned partitions
   */
  public void seek(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
    offsets(partitions).forEach(consumer::seek);
  }

  /** Builds a {@link KafkaOffsetStore}. Not thread-safe. */
  public static final class Builder {
    private final DataSource dataSource;
    private final SQLDialect dialect;
    private final SqlTransactionBinding transactions;
    private String tableName;

    private Builder(
        DataSource dataSource,
        SQLDialect dialect,
        String consumerGroup,
        SqlTransactionBinding transactions) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      this.dialect = Objects.requireNonNull(dialect, "dialect");
      this.transactions = Objects.requireNonNull(transactions, "transactions");
      this.tableName = defaultTableName(Objects.requireNonNull(consumerGroup, "consumerGroup"));
    }

    /**
     * Sets the table name, instead of {@code idem_offsets_<group>}.
     *
     * @param tableName the name (quoted in every statement)
     * @return this builder
     */
    public Builder tableName(String tableName) {
      if (tableName.isBlank() || tableName.length() > 63) {
        throw new IllegalArgumentException("table name must be 1-63 characters");
      }
      this.tableName = tableName;
      return this;
    }

    /**
     * Builds the store.
     *
     * @return the store
     */
    public KafkaOffsetStore build() {
      return new KafkaOffsetStore(this);
    }

    private static String defaultTableName(String group) {
      String safe = group.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
      String name = "idem_offsets_" + safe;
      return name.length() <= 63 ? name : name.substring(0, 63);
    }
  }
}

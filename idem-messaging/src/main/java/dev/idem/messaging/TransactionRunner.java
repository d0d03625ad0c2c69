package dev.idem.messaging;

/**
 * Runs work in one database transaction: commits when the work returns, rolls back when it throws
 * (and rethrows). With the SQL store in transactional mode bound to the same transactions, the
 * dedup record, the handler's writes (and, for Kafka, the next offset) commit together.
 *
 * <p>Examples: {@code work -> dsl.transaction(trx -> work.run())} for jOOQ with a {@code
 * JooqTransactionBinding}, {@code work -> transactionTemplate.executeWithoutResult(s ->
 * work.run())} for Spring.
 */
@FunctionalInterface
public interface TransactionRunner {

  /**
   * Runs {@code work} in a new transaction on the calling thread.
   *
   * @param work the work; a runtime exception it throws rolls the transaction back and is rethrown
   * @throws RuntimeException what the work threw, or the commit's failure
   */
  void inTransaction(Runnable work);
}

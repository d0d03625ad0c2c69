package dev.idem.store.sql;

import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Tells a transactional {@link JooqIdempotencyStore} which database transaction the calling thread
 * is in, so that the claim, the method's own writes and the completion run in that transaction and
 * commit or roll back together.
 *
 * <p>{@link JooqTransactionBinding} binds to transactions started with jOOQ's {@code
 * DSLContext.transaction(...)}; a framework integration (Spring's {@code @Transactional}, for one)
 * implements this interface by returning a {@code DSLContext} on the connection of the transaction
 * its transaction manager has bound to the current thread.
 *
 * <p>Implementations are thread-safe and answer for the calling thread only.
 */
@FunctionalInterface
public interface SqlTransactionBinding {

  /**
   * Returns a {@code DSLContext} that runs its statements in the transaction the calling thread is
   * in, on the same database as the store, or null when the thread is in no transaction (the store
   * then works on its own connections, as a non-transactional store would).
   *
   * @return the current transaction's context, or null
   */
  @Nullable DSLContext currentTransaction();
}

package dev.idem.store.sql;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import org.jooq.DSLContext;
import org.jooq.TransactionContext;
import org.jooq.TransactionListener;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * A {@link SqlTransactionBinding} for jOOQ's own transactions: it listens to the transactions of
 * the {@code DSLContext}s it {@linkplain #bind binds} and reports, per thread, the innermost one in
 * progress.
 *
 * <pre>{@code
 * JooqTransactionBinding transactions = JooqTransactionBinding.create();
 * DSLContext dsl = transactions.bind(DSL.using(dataSource, SQLDialect.POSTGRES));
 * JooqIdempotencyStore store =
 *     JooqIdempotencyStore.builder(dsl).transactional(transactions).build();
 *
 * dsl.transaction(trx -> {
 *   // claims made here join trx; the method's own writes go through trx.dsl()
 * });
 * }</pre>
 *
 * <p>Works with jOOQ's default transaction provider (the body then writes through the transaction's
 * own {@code DSLContext}) and with {@code ThreadLocalTransactionProvider} (the bound {@code dsl}
 * itself joins the thread's transaction). Transactions are tracked on the thread that runs {@code
 * transaction(...)}; {@code transactionAsync} is not supported. Thread-safe.
 */
public final class JooqTransactionBinding implements SqlTransactionBinding {

  private final ThreadLocal<@Nullable Deque<Active>> active = new ThreadLocal<>();
  private final TransactionListener listener = new Listener();

  private JooqTransactionBinding() {}

  /**
   * Creates a binding that tracks no transaction until it is {@linkplain #bind bound} to a {@code
   * DSLContext}.
   *
   * @return the binding
   */
  public static JooqTransactionBinding create() {
    return new JooqTransactionBinding();
  }

  /**
   * Returns a {@code DSLContext} like {@code dsl} whose transactions this binding tracks. Use the
   * returned context to start the transactions that idempotent calls should join.
   *
   * @param dsl the application's context
   * @return a context with this binding's transaction listener appended
   */
  public DSLContext bind(DSLContext dsl) {
    return DSL.using(dsl.configuration().deriveAppending(listener));
  }

  /**
   * Returns the transaction listener that feeds this binding, for applications that assemble their
   * jOOQ {@code Configuration} themselves.
   *
   * @return the listener
   */
  public TransactionListener listener() {
    return listener;
  }

  @Override
  public @Nullable DSLContext currentTransaction() {
    Deque<Active> stack = active.get();
    Active innermost = stack == null ? null : stack.peekFirst();
    return innermost == null ? null : innermost.dsl;
  }

  private void begun(TransactionContext ctx) {
    Deque<Active> stack = active.get();
    if (stack == null) {
      stack = new ArrayDeque<>();
      active.set(stack);
    }
    stack.addFirst(new Active(ctx, ctx.dsl()));
  }

  private void ended(TransactionContext ctx) {
    Deque<Active> stack = active.get();
    if (stack == null) {
      return;
    }
    // commit and rollback may both be reported for one transaction (a failed commit rolls back)
    for (Iterator<Active> it = stack.iterator(); it.hasNext(); ) {
      if (it.next().ctx == ctx) {
        it.remove();
        break;
      }
    }
    if (stack.isEmpty()) {
      active.remove();
    }
  }

  private record Active(TransactionContext ctx, DSLContext dsl) {}

  private final class Listener implements TransactionListener {
    @Override
    public void beginEnd(TransactionContext ctx) {
      begun(ctx);
    }

    @Override
    public void commitStart(TransactionContext ctx) {
      ended(ctx);
    }

    @Override
    public void rollbackStart(TransactionContext ctx) {
      ended(ctx);
    }
  }
}

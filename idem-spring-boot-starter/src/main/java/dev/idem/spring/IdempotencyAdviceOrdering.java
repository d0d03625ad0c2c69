package dev.idem.spring;

import java.lang.System.Logger.Level;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.PriorityOrdered;
import org.springframework.util.ClassUtils;

/**
 * Decides where the Idem advice runs relative to Spring's {@code @Transactional} advice, and makes
 * it so. Spring AOP orders advice by advisor order, never by the order in which annotations are
 * declared on a method, so this is the one place that decides.
 *
 * <ul>
 *   <li>{@link Placement#INSIDE_TRANSACTIONS} (the SQL store in transactional mode): the Idem
 *       advice runs inside the transaction, so the claim, the method's writes and the completion
 *       commit or roll back together. The Idem advisor has order {@link Ordered#LOWEST_PRECEDENCE};
 *       a transaction advisor with the same order (Spring's default) is moved to {@code
 *       LOWEST_PRECEDENCE - 1} so that it strictly wraps the Idem advice.
 *   <li>{@link Placement#OUTSIDE_TRANSACTIONS} (every other store): the Idem advice wraps the
 *       transaction, so a result is recorded only after the transaction has committed, and a failed
 *       commit releases the key instead of recording a success that was rolled back. The Idem
 *       advisor's order is one less than the transaction advisor's ({@code LOWEST_PRECEDENCE - 1}
 *       by default); the transaction advisor is left alone.
 *   <li>An {@linkplain #explicit explicit order} ({@code idem.aop.order}) is used as it is, and
 *       nothing else is changed.
 * </ul>
 *
 * <p>As a bean post-processor it sees the transaction advisor when it is created, which is before
 * any advisor is sorted.
 */
public final class IdempotencyAdviceOrdering implements BeanPostProcessor, PriorityOrdered {

  private static final System.Logger LOG =
      System.getLogger(IdempotencyAdviceOrdering.class.getName());
  private static final boolean TRANSACTIONS_PRESENT =
      ClassUtils.isPresent(
          "org.springframework.transaction.interceptor.TransactionInterceptor",
          IdempotencyAdviceOrdering.class.getClassLoader());

  /** Where the Idem advice runs relative to the transaction advice. */
  public enum Placement {
    /** Inside the transaction: for the SQL store's transactional mode. */
    INSIDE_TRANSACTIONS,
    /** Around the transaction: for stores that do not take part in the transaction. */
    OUTSIDE_TRANSACTIONS
  }

  private final @Nullable Placement placement;
  private final @Nullable Integer explicitOrder;
  private volatile int lowestTransactionOrder = Ordered.LOWEST_PRECEDENCE;

  private IdempotencyAdviceOrdering(
      @Nullable Placement placement, @Nullable Integer explicitOrder) {
    this.placement = placement;
    this.explicitOrder = explicitOrder;
  }

  /**
   * Returns the ordering for a placement.
   *
   * @param placement where the Idem advice runs
   * @return the ordering
   */
  public static IdempotencyAdviceOrdering of(Placement placement) {
    return new IdempotencyAdviceOrdering(placement, null);
  }

  /**
   * Returns an ordering that gives the Idem advisor a fixed order and changes nothing else.
   *
   * @param order the Idem advisor's order
   * @return the ordering
   */
  public static IdempotencyAdviceOrdering explicit(int order) {
    return new IdempotencyAdviceOrdering(null, order);
  }

  /**
   * Returns the placement, or null for an explicit order.
   *
   * @return the placement
   */
  public @Nullable Placement placement() {
    return placement;
  }

  /**
   * Returns the order of the Idem advisor, as decided so far: call it when advisors are sorted.
   *
   * @return the order
   */
  public int idempotencyOrder() {
    if (explicitOrder != null) {
      return explicitOrder;
    }
    if (placement == Placement.INSIDE_TRANSACTIONS) {
      return Ordered.LOWEST_PRECEDENCE;
    }
    int transactions = lowestTransactionOrder;
    return transactions == Ordered.HIGHEST_PRECEDENCE ? transactions : transactions - 1;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    if (explicitOrder != null || !TRANSACTIONS_PRESENT || !Transactions.isAdvisor(bean)) {
      return bean;
    }
    AbstractPointcutAdvisor advisor = (AbstractPointcutAdvisor) bean;
    int order = advisor.getOrder();
    if (placement == Placement.INSIDE_TRANSACTIONS && order == Ordered.LOWEST_PRECEDENCE) {
      advisor.setOrder(Ordered.LOWEST_PRECEDENCE - 1);
      LOG.log(
          Level.DEBUG,
          "Transaction advisor ''{0}'' ordered at LOWEST_PRECEDENCE - 1 so that it wraps the Idem"
              + " advice (transactional store)",
          beanName);
    } else if (placement == Placement.OUTSIDE_TRANSACTIONS && order < lowestTransactionOrder) {
      lowestTransactionOrder = order;
    }
    return bean;
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }

  /** Touches spring-tx types only when spring-tx is present. */
  private static final class Transactions {
    static boolean isAdvisor(Object bean) {
      return bean
              instanceof
              org.springframework.transaction.interceptor
                  .BeanFactoryTransactionAttributeSourceAdvisor
          || bean
              instanceof
              org.springframework.transaction.interceptor.TransactionAttributeSourceAdvisor;
    }
  }
}

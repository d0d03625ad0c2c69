package dev.idem.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.spring.boot.autoconfigure.TransactionalBeans.Base;
import dev.idem.spring.boot.autoconfigure.TransactionalBeans.Observed;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.aop.Advisor;
import org.springframework.aop.framework.Advised;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.JdbcTemplateAutoConfiguration;
import org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ContextConsumer;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.interceptor.BeanFactoryTransactionAttributeSourceAdvisor;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The SQL store in transactional mode bound to {@code @Transactional}: the claim, the method's
 * writes and the completion are in one transaction, whichever order the annotations are declared
 * in. Runs once per database.
 */
abstract class TransactionalModeContract {

  /** Returns the database's connection properties ({@code spring.datasource.*}). */
  abstract String[] dataSourceProperties();

  ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                DataSourceAutoConfiguration.class,
                DataSourceTransactionManagerAutoConfiguration.class,
                TransactionAutoConfiguration.class,
                JdbcTemplateAutoConfiguration.class,
                AopAutoConfiguration.class,
                IdempotencyAutoConfiguration.class))
        .withPropertyValues(dataSourceProperties())
        .withPropertyValues(
            "idem.store=jdbc",
            "idem.jdbc.transactional=true",
            "idem.jdbc.table-name=" + TransactionalBeans.RECORDS,
            "idem.jdbc.initialize-schema=always",
            "idem.jdbc.lock-timeout=20s")
        .withBean(TransactionalBeans.IdempotentFirst.class)
        .withBean(TransactionalBeans.TransactionalFirst.class)
        .withBean(TransactionalBeans.ClassLevel.class);
  }

  private void run(ContextConsumer<AssertableApplicationContext> test) {
    runner()
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              context
                  .getBean(JdbcTemplate.class)
                  .execute(
                      "create table if not exists "
                          + TransactionalBeans.ROWS
                          + " (id varchar(64) primary key)");
              test.accept(context);
            });
  }

  private static List<Base> declarationOrders(AssertableApplicationContext context) {
    return List.of(
        context.getBean(TransactionalBeans.IdempotentFirst.class),
        context.getBean(TransactionalBeans.TransactionalFirst.class),
        context.getBean(TransactionalBeans.ClassLevel.class));
  }

  private static Observed create(Base bean, String id, boolean fail) {
    if (bean instanceof TransactionalBeans.IdempotentFirst b) {
      return b.create(id, fail);
    }
    if (bean instanceof TransactionalBeans.TransactionalFirst b) {
      return b.create(id, fail);
    }
    return ((TransactionalBeans.ClassLevel) bean).create(id, fail);
  }

  private static int rows(AssertableApplicationContext context, String id) {
    Integer count =
        context
            .getBean(JdbcTemplate.class)
            .queryForObject(
                "select count(*) from " + TransactionalBeans.ROWS + " where id = ?",
                Integer.class,
                id);
    return count == null ? 0 : count;
  }

  @Test
  void claimsInsideTheTransactionWhateverTheDeclarationOrder() {
    run(
        context -> {
          for (Base bean : declarationOrders(context)) {
            String id = UUID.randomUUID().toString();
            Observed first = create(bean, id, false);
            assertThat(first.recordsInTransaction())
                .as("claim visible in the transaction of %s", bean.getClass().getSimpleName())
                .isEqualTo(1);
            assertThat(first.recordsOutside())
                .as("claim not committed before the transaction of %s", bean.getClass())
                .isZero();
            assertThat(create(bean, id, false)).isEqualTo(first);
            assertThat(bean.executions()).isEqualTo(1);
            assertThat(rows(context, id)).isEqualTo(1);
          }
        });
  }

  @Test
  void rollsBackTheClaimWithTheWritesWhenTheBodyFails() {
    run(
        context -> {
          for (Base bean : declarationOrders(context)) {
            String id = UUID.randomUUID().toString();
            assertThatThrownBy(() -> create(bean, id, true))
                .isInstanceOf(IllegalStateException.class);
            assertThat(rows(context, id)).isZero();
            Observed retried = create(bean, id, false);
            assertThat(retried.execution()).isEqualTo(2);
            assertThat(rows(context, id)).isEqualTo(1);
          }
        });
  }

  @Test
  void rollsBackTheCompletionWithAnEnclosingTransaction() {
    run(
        context -> {
          TransactionTemplate outer = context.getBean(TransactionTemplate.class);
          for (Base bean : declarationOrders(context)) {
            String id = UUID.randomUUID().toString();
            outer.executeWithoutResult(
                status -> {
                  create(bean, id, false);
                  status.setRollbackOnly();
                });
            assertThat(rows(context, id)).isZero();
            assertThat(create(bean, id, false).execution()).isEqualTo(2);
            assertThat(create(bean, id, false).execution()).isEqualTo(2);
          }
        });
  }

  @Test
  void ordersTheTransactionAdviceAroundTheIdemAdvice() {
    run(
        context -> {
          Advisor idem = context.getBean("idempotentAdvisor", Advisor.class);
          for (Base bean : declarationOrders(context)) {
            List<Advisor> chain = List.of(((Advised) bean).getAdvisors());
            int transaction = -1;
            for (int i = 0; i < chain.size(); i++) {
              if (chain.get(i) instanceof BeanFactoryTransactionAttributeSourceAdvisor) {
                transaction = i;
              }
            }
            assertThat(transaction).isNotNegative();
            assertThat(chain.indexOf(idem)).isGreaterThan(transaction);
          }
        });
  }

  @Test
  void concurrentDuplicatesRunTheBodyOnce() {
    run(
        context -> {
          for (Base bean : declarationOrders(context)) {
            String id = UUID.randomUUID().toString();
            int callers = 6;
            CyclicBarrier start = new CyclicBarrier(callers);
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
              List<Future<Observed>> results = new ArrayList<>();
              for (int i = 0; i < callers; i++) {
                results.add(
                    pool.submit(
                        () -> {
                          start.await();
                          return create(bean, id, false);
                        }));
              }
              Observed first = results.get(0).get();
              for (Future<Observed> result : results) {
                assertThat(result.get()).isEqualTo(first);
              }
            } finally {
              pool.shutdownNow();
            }
            assertThat(bean.executions()).isEqualTo(1);
            assertThat(rows(context, id)).isEqualTo(1);
          }
        });
  }
}

package dev.idem.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.aop.Advisor;
import org.springframework.aop.framework.Advised;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.Ordered;
import org.springframework.transaction.interceptor.BeanFactoryTransactionAttributeSourceAdvisor;

/**
 * With a store outside the transaction (memory, Redis, the non-transactional SQL store) the Idem
 * advice wraps {@code @Transactional}: a result is recorded only after the commit succeeded.
 */
class OutsideTransactionOrderTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataSourceAutoConfiguration.class,
                  DataSourceTransactionManagerAutoConfiguration.class,
                  TransactionAutoConfiguration.class,
                  AopAutoConfiguration.class,
                  IdempotencyAutoConfiguration.class))
          .withPropertyValues(
              "spring.datasource.url=jdbc:h2:mem:idem_starter_outside;DB_CLOSE_DELAY=-1")
          .withBean(TransactionalBeans.FailingCommit.class);

  @Test
  void aFailedCommitReleasesTheKeyInsteadOfRecordingASuccess() {
    runner.run(
        context -> {
          TransactionalBeans.FailingCommit bean =
              context.getBean(TransactionalBeans.FailingCommit.class);
          assertThatThrownBy(() -> bean.create("k")).hasMessageContaining("commit refused");
          assertThat(bean.create("k")).isEqualTo(2);
          assertThat(bean.create("k")).isEqualTo(2);
          assertThat(bean.executions()).isEqualTo(2);
        });
  }

  @Test
  void ordersTheIdemAdviceAroundTheTransactionAdvice() {
    runner.run(
        context -> {
          Advisor idem = context.getBean("idempotentAdvisor", Advisor.class);
          List<Advisor> chain =
              List.of(
                  ((Advised) context.getBean(TransactionalBeans.FailingCommit.class))
                      .getAdvisors());
          BeanFactoryTransactionAttributeSourceAdvisor transaction =
              context.getBean(BeanFactoryTransactionAttributeSourceAdvisor.class);
          assertThat(transaction.getOrder()).isEqualTo(Ordered.LOWEST_PRECEDENCE);
          assertThat(chain.indexOf(idem)).isLessThan(chain.indexOf(transaction));
        });
  }

  @Test
  void anExplicitOrderIsUsedAsItIs() {
    runner
        .withPropertyValues("idem.aop.order=" + Ordered.LOWEST_PRECEDENCE)
        .run(
            context -> {
              assertThat(((Ordered) context.getBean("idempotentAdvisor")).getOrder())
                  .isEqualTo(Ordered.LOWEST_PRECEDENCE);
              assertThat(
                      context
                          .getBean(BeanFactoryTransactionAttributeSourceAdvisor.class)
                          .getOrder())
                  .isEqualTo(Ordered.LOWEST_PRECEDENCE);
            });
  }
}

package dev.idem.store.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.store.sql.Databases.Kind;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jooq.impl.DataSourceConnectionProvider;
import org.jooq.impl.DefaultConfiguration;
import org.jooq.impl.ThreadLocalTransactionProvider;
import org.junit.jupiter.api.Test;

/** {@link JooqTransactionBinding} reports the calling thread's innermost jOOQ transaction. */
class JooqTransactionBindingTest {

  private final JooqTransactionBinding binding = JooqTransactionBinding.create();
  private final DSLContext dsl = binding.bind(Databases.dsl(Kind.H2));

  @Test
  void reportsNoTransactionOutsideOne() {
    assertThat(binding.currentTransaction()).isNull();
    dsl.selectOne().fetch();
    assertThat(binding.currentTransaction()).isNull();
  }

  @Test
  void reportsTheInnermostTransactionAndForgetsEachWhenItEnds() {
    dsl.transaction(
        outer -> {
          DSLContext outerContext = binding.currentTransaction();
          assertThat(outerContext).isNotNull();
          assertThat(currentConnectionId(outerContext)).isEqualTo(currentConnectionId(outer.dsl()));
          outer
              .dsl()
              .transaction(
                  inner -> {
                    assertThat(binding.currentTransaction()).isNotNull().isNotSameAs(outerContext);
                  });
          assertThat(binding.currentTransaction()).isSameAs(outerContext);
        });
    assertThat(binding.currentTransaction()).isNull();
  }

  @Test
  void forgetsARolledBackTransaction() {
    assertThatThrownBy(
            () ->
                dsl.transaction(
                    trx -> {
                      assertThat(binding.currentTransaction()).isNotNull();
                      throw new IllegalStateException("roll back");
                    }))
        .hasMessageContaining("roll back");

    assertThat(binding.currentTransaction()).isNull();
  }

  @Test
  void otherThreadsSeeNoTransaction() {
    dsl.transaction(
        trx -> {
          assertThat(binding.currentTransaction()).isNotNull();
          assertThat(
                  CompletableFuture.supplyAsync(() -> binding.currentTransaction() == null)
                      .get(10, TimeUnit.SECONDS))
              .isTrue();
        });
  }

  @Test
  void worksWithThreadLocalTransactions() {
    DSLContext threadBound =
        binding.bind(
            DSL.using(
                new DefaultConfiguration()
                    .set(
                        new ThreadLocalTransactionProvider(
                            new DataSourceConnectionProvider(Databases.pool(Kind.H2))))
                    .set(Kind.H2.dialect)));

    threadBound.transaction(
        () -> {
          DSLContext current = binding.currentTransaction();
          assertThat(current).isNotNull();
          assertThat(currentConnectionId(current)).isEqualTo(currentConnectionId(threadBound));
        });
    assertThat(binding.currentTransaction()).isNull();
  }

  private static Object currentConnectionId(DSLContext ctx) {
    return ctx.fetchValue("select session_id()");
  }
}

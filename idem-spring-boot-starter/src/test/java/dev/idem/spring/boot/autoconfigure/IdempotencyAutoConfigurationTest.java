package dev.idem.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyMetrics;
import dev.idem.IdempotencyPolicy;
import dev.idem.annotation.OnInProgress;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spring.IdempotencyConfigCustomizer;
import dev.idem.spring.IdempotencyScope;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.aop.Advisor;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.NestedExceptionUtils;

class IdempotencyAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  AopAutoConfiguration.class, IdempotencyAutoConfiguration.class));

  @AfterEach
  void uninstall() {
    Idempotency.unconfigure();
  }

  @Test
  void configuresMemoryStoreEngineAndAdvisorByDefault() {
    runner.run(
        context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).hasSingleBean(Idempotency.class);
          assertThat(context.getBean(IdempotencyStore.class))
              .isInstanceOf(InMemoryIdempotencyStore.class);
          assertThat(context).hasBean("idempotentAdvisor");
          assertThat(Idempotency.isConfigured()).isFalse();
        });
  }

  @Test
  void advisedBeanRunsItsBodyOncePerKey() {
    runner
        .withBean(Beans.Charges.class)
        .withPropertyValues("idem.policies.strict.on-in-progress=reject")
        .run(
            context -> {
              Beans.Charges charges = context.getBean(Beans.Charges.class);
              assertThat(AopUtils.isCglibProxy(charges)).isTrue();
              String first = charges.charge("o-1", 100);
              assertThat(charges.charge("o-1", 100)).isEqualTo(first);
              charges.charge("o-2", 100);
              assertThat(charges.executions()).isEqualTo(2);
            });
  }

  @Test
  void bindsDefaultsAndNamedPoliciesFromProperties() {
    runner
        .withPropertyValues(
            "idem.key-prefix=shop",
            "idem.defaults.ttl=2h",
            "idem.policies.payments.ttl=7d",
            "idem.policies.payments.lease=1m",
            "idem.policies.payments.on-in-progress=reject",
            "idem.policies.payments.wait-timeout=3s",
            "idem.policies.payments.replay-on=java.lang.IllegalStateException",
            "idem.policies.payments.fail-open=false")
        .run(
            context -> {
              IdempotencyConfig config = context.getBean(Idempotency.class).config();
              assertThat(config.keyPrefix()).isEqualTo("shop");
              assertThat(config.defaults().ttl()).contains(Duration.ofHours(2));
              assertThat(config.policy("payments"))
                  .contains(
                      IdempotencyPolicy.builder()
                          .ttl(Duration.ofDays(7))
                          .lease(Duration.ofMinutes(1))
                          .onInProgress(OnInProgress.REJECT)
                          .waitTimeout(Duration.ofSeconds(3))
                          .replayOn(List.of(IllegalStateException.class))
                          .failOpen(false)
                          .build());
            });
  }

  @Test
  void scopeBeanSeparatesKeysOfDifferentScopes() {
    AtomicReference<String> tenant = new AtomicReference<>("t1");
    runner
        .withBean(Beans.Charges.class)
        .withPropertyValues("idem.policies.strict.on-in-progress=reject")
        .withBean(IdempotencyScope.class, () -> tenant::get)
        .run(
            context -> {
              Beans.Charges charges = context.getBean(Beans.Charges.class);
              charges.charge("o-1", 100);
              tenant.set("t2");
              charges.charge("o-1", 100);
              charges.charge("o-1", 100);
              assertThat(charges.executions()).isEqualTo(2);
            });
  }

  @Test
  void appliesCustomizersAndNearCache() {
    runner
        .withPropertyValues("idem.near-cache.enabled=true", "idem.near-cache.maximum-size=42")
        .withBean(IdempotencyConfigCustomizer.class, () -> builder -> builder.owner("node-7"))
        .run(
            context -> {
              IdempotencyConfig config = context.getBean(Idempotency.class).config();
              assertThat(config.owner()).isEqualTo("node-7");
              assertThat(config.nearCache())
                  .hasValueSatisfying(settings -> assertThat(settings.maximumSize()).isEqualTo(42));
            });
  }

  @Test
  void recordsMetricsInTheApplicationsRegistry() {
    runner
        .withBean(Beans.Charges.class)
        .withPropertyValues("idem.policies.strict.on-in-progress=reject")
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            context -> {
              context.getBean(Beans.Charges.class).charge("o-1", 1);
              context.getBean(Beans.Charges.class).charge("o-1", 1);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              assertThat(registry.find(IdempotencyMetrics.CALLS).counters())
                  .extracting(c -> c.getId().getTag(IdempotencyMetrics.TAG_OUTCOME))
                  .contains(
                      IdempotencyMetrics.OUTCOME_EXECUTED, IdempotencyMetrics.OUTCOME_REPLAYED);
            });
  }

  @Test
  void failsAtStartupOnAKeyExpressionThatDoesNotParse() {
    runner
        .withBean(Beans.BadExpression.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .extracting(NestedExceptionUtils::getMostSpecificCause)
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                    .hasMessageContaining("BadExpression.charge(String)")
                    .hasMessageContaining("does not parse"));
  }

  @Test
  void failsAtStartupOnAReturnTypeThatCannotBeReplayed() {
    runner
        .withBean(Beans.BadReturnType.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .extracting(NestedExceptionUtils::getMostSpecificCause)
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                    .hasMessageContaining("BadReturnType.charge(String)")
                    .hasMessageContaining("cannot be replayed"));
  }

  @Test
  void failsAtStartupOnAnUnknownPolicy() {
    runner
        .withBean(Beans.UnknownPolicy.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .extracting(NestedExceptionUtils::getMostSpecificCause)
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                    .hasMessageContaining("UnknownPolicy.charge(String)")
                    .hasMessageContaining("'nope' is not registered"));
  }

  @Test
  void failsAtStartupOnAFinalMethodInProxyMode() {
    runner
        .withBean(Beans.FinalMethod.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .extracting(NestedExceptionUtils::getMostSpecificCause)
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                    .hasMessageContaining("FinalMethod.charge(String)")
                    .hasMessageContaining("final"));
  }

  @Test
  void failsAtStartupWhenSpringDoesNotProxyIdempotentBeans() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class))
        .withBean(Beans.Charges.class)
        .withPropertyValues("idem.policies.strict.on-in-progress=reject")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .extracting(NestedExceptionUtils::getMostSpecificCause)
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                    .hasMessageContaining("Charges.charge(String, int)")
                    .hasMessageContaining("not proxied by Spring's AspectJ auto-proxying"));
  }

  @Test
  void failsAtStartupWhenOnlyTheTransactionAutoProxyCreatorIsActive() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                DataSourceAutoConfiguration.class,
                DataSourceTransactionManagerAutoConfiguration.class,
                TransactionAutoConfiguration.class,
                AopAutoConfiguration.class,
                IdempotencyAutoConfiguration.class))
        .withPropertyValues(
            "spring.aop.auto=false",
            "spring.datasource.url=jdbc:h2:mem:idem_starter_infra;DB_CLOSE_DELAY=-1",
            "idem.policies.strict.on-in-progress=reject")
        .withBean(Beans.Charges.class)
        .run(
            context ->
                assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
                    .hasMessageContaining("Charges.charge(String, int)")
                    .hasMessageContaining("spring.aop.auto=true"));
  }

  @Test
  void failsAtStartupWhenParameterNamesWereNotCompiled(@TempDir Path dir) throws Exception {
    ClassLoader loader = compileWithoutParameterNames(dir);
    Class<?> type = loader.loadClass("gen.NoNames");
    runner
        .withClassLoader(loader)
        .withBean("noNames", Object.class, () -> newInstance(type))
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .extracting(NestedExceptionUtils::getMostSpecificCause)
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                    .hasMessageContaining("gen.NoNames.charge(String)")
                    .hasMessageContaining("-parameters"));
  }

  @Test
  void aspectjModeInstallsTheEngineGloballyAndRegistersNoAdvisor() {
    runner
        .withPropertyValues("idem.aop.mode=aspectj")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean("idempotentAdvisor");
              assertThat(context.getBeansOfType(Advisor.class)).isEmpty();
              assertThat(Idempotency.global()).isSameAs(context.getBean(Idempotency.class));
            });
    assertThat(Idempotency.isConfigured()).isFalse();
  }

  @Test
  void aspectjModeFailsAtStartupOnAClassThatWasNotWoven() {
    runner
        .withPropertyValues("idem.aop.mode=aspectj", "idem.policies.strict.on-in-progress=reject")
        .withBean(Beans.Charges.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .extracting(NestedExceptionUtils::getMostSpecificCause)
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                    .hasMessageContaining("Charges.charge(String, int)")
                    .hasMessageContaining("not woven"));
  }

  private static Object newInstance(Class<?> type) {
    try {
      return type.getConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Compiles a bean with javac's defaults: no MethodParameters attribute, so no names. */
  private static ClassLoader compileWithoutParameterNames(Path dir) throws IOException {
    Path source = dir.resolve("src/gen/NoNames.java");
    Files.createDirectories(source.getParent());
    Files.writeString(
        source,
        """
        package gen;

        import dev.idem.annotation.Idempotent;

        public class NoNames {
          @Idempotent(name = "gen.charge", key = "#orderId")
          public String charge(String orderId) {
            return orderId;
          }
        }
        """);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    String annotations =
        Path.of(
                dev.idem.annotation.Idempotent.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .getPath())
            .toString();
    int status =
        javac.run(
            null,
            null,
            null,
            "-g",
            "-cp",
            annotations,
            "-d",
            classes.toString(),
            source.toString());
    assertThat(status).as("javac exit status").isZero();
    return new URLClassLoader(
        new URL[] {classes.toUri().toURL()},
        IdempotencyAutoConfigurationTest.class.getClassLoader());
  }
}

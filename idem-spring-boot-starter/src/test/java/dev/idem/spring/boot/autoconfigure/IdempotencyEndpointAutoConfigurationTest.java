package dev.idem.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.Idempotency;
import dev.idem.spring.IdempotencyScope;
import dev.idem.spring.boot.actuate.IdempotencyEndpoint;
import dev.idem.spring.boot.actuate.IdempotencyEndpoint.RecordDescriptor;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

class IdempotencyEndpointAutoConfigurationTest {

  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  AopAutoConfiguration.class,
                  IdempotencyAutoConfiguration.class,
                  IdempotencyEndpointAutoConfiguration.class));

  @Test
  void isNotCreatedUnlessExposed() {
    runner.run(context -> assertThat(context).doesNotHaveBean(IdempotencyEndpoint.class));
  }

  @Test
  void isCreatedWhenExposed() {
    runner
        .withPropertyValues("management.endpoints.web.exposure.include=idempotency")
        .run(context -> assertThat(context).hasSingleBean(IdempotencyEndpoint.class));
  }

  @Test
  void isNotCreatedWhenDisabled() {
    runner
        .withPropertyValues(
            "management.endpoints.web.exposure.include=idempotency",
            "management.endpoint.idempotency.access=NONE")
        .run(context -> assertThat(context).doesNotHaveBean(IdempotencyEndpoint.class));
  }

  @Test
  void backsOffWithoutActuator() {
    runner
        .withClassLoader(new FilteredClassLoader(Endpoint.class))
        .withPropertyValues("management.endpoints.web.exposure.include=idempotency")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(Idempotency.class);
              assertThat(context).doesNotHaveBean(IdempotencyEndpoint.class);
            });
  }

  @Test
  void hidesTheBodyUnlessShowBodyIsSet() {
    runner
        .withPropertyValues("management.endpoints.web.exposure.include=idempotency")
        .run(
            context -> {
              context
                  .getBean(Idempotency.class)
                  .operation("reports.render", String.class)
                  .build()
                  .execute("r-1", null, () -> "the report");
              RecordDescriptor record =
                  context
                      .getBean(IdempotencyEndpoint.class)
                      .record("reports.render", "r-1", null, null);
              assertThat(record).isNotNull();
              assertThat(record.outcome()).isEqualTo("VALUE");
              assertThat(record.outcomeBytes()).isEqualTo("\"the report\"".length());
              assertThat(record.body()).isNull();
              assertThat(record.bodyEncoding()).isNull();
            });
  }

  @Test
  void showsTheBodyWithShowBody() {
    runner
        .withPropertyValues(
            "management.endpoints.web.exposure.include=idempotency", "idem.admin.show-body=true")
        .run(
            context -> {
              context
                  .getBean(Idempotency.class)
                  .operation("reports.render", String.class)
                  .build()
                  .execute("r-1", null, () -> "the report");
              RecordDescriptor record =
                  context
                      .getBean(IdempotencyEndpoint.class)
                      .record("reports.render", "r-1", null, null);
              assertThat(record).isNotNull();
              assertThat(record.body()).isEqualTo("\"the report\"");
              assertThat(record.bodyEncoding()).isEqualTo("utf-8");
            });
  }

  @Test
  void usesTheApplicationsScopeOnlyWhenGiven() {
    AtomicReference<String> tenant = new AtomicReference<>("t-1");
    runner
        .withPropertyValues(
            "management.endpoints.web.exposure.include=idempotency", "idem.scope=principal")
        .withBean(IdempotencyScope.class, () -> tenant::get)
        .run(
            context -> {
              context
                  .getBean(Idempotency.class)
                  .operation("reports.render", String.class)
                  .build()
                  .execute("r-2", null, () -> "scoped");
              IdempotencyEndpoint endpoint = context.getBean(IdempotencyEndpoint.class);
              assertThat(endpoint.record("reports.render", "r-2", null, null)).isNull();
              assertThat(endpoint.record("reports.render", "r-2", "t-1", null)).isNotNull();
              // an application scope is not the principal: principal is refused for a method
              assertThatThrownBy(() -> endpoint.record("reports.render", "r-2", null, "alice"))
                  .isInstanceOf(InvalidEndpointRequestException.class);
              assertThat(endpoint.delete("reports.render", "r-2", "t-1", null).deleted()).isTrue();
              assertThat(endpoint.record("reports.render", "r-2", "t-1", null)).isNull();
            });
  }
}

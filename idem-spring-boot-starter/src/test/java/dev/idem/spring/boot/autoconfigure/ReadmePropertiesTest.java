package dev.idem.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.annotation.Idempotent;
import dev.idem.annotation.OnInProgress;
import dev.idem.spring.web.IdempotentEndpoint;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.http.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.JdbcTemplateAutoConfiguration;
import org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.DispatcherServletAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The README's {@code application.properties} block, pasted into an application with the README's
 * {@code @Idempotent} service and {@code @IdempotentEndpoint} handler, binds and starts. The block
 * is {@code readme-application.properties}; the README shows it verbatim (the getting-started
 * project's ReadmeSnippetsTest compares the two).
 */
class ReadmePropertiesTest {

  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataSourceAutoConfiguration.class,
                  DataSourceTransactionManagerAutoConfiguration.class,
                  TransactionAutoConfiguration.class,
                  JdbcTemplateAutoConfiguration.class,
                  AopAutoConfiguration.class,
                  HttpMessageConvertersAutoConfiguration.class,
                  DispatcherServletAutoConfiguration.class,
                  WebMvcAutoConfiguration.class,
                  IdempotencyAutoConfiguration.class,
                  IdempotencyWebMvcAutoConfiguration.class))
          .withPropertyValues(
              "spring.datasource.url=jdbc:h2:mem:readme_"
                  + UUID.randomUUID().toString().replace("-", "")
                  + ";DB_CLOSE_DELAY=-1");

  @AfterEach
  void uninstall() {
    Idempotency.unconfigure();
  }

  record ChargeCommand(String orderId, long amountCents) {}

  record Receipt(String orderId, long amountCents) {}

  record OrderRequest(String item) {}

  @Service
  static class Payments {
    private int charges;

    @Idempotent(name = "payments.charge", key = "#cmd.orderId", policy = "payments")
    @Transactional
    public Receipt charge(ChargeCommand cmd) {
      charges++;
      return new Receipt(cmd.orderId(), cmd.amountCents());
    }

    public int charges() {
      return charges;
    }
  }

  @RestController
  static class Orders {
    @PostMapping("/orders")
    @IdempotentEndpoint(name = "orders.place", policy = "http")
    String place(@RequestBody OrderRequest request) {
      return "placed " + request.item();
    }
  }

  static String[] readmeProperties() throws IOException {
    Properties properties = new Properties();
    try (InputStream in =
        ReadmePropertiesTest.class.getResourceAsStream("/readme-application.properties")) {
      properties.load(in);
    }
    List<String> pairs = new ArrayList<>();
    properties.forEach((name, value) -> pairs.add(name + "=" + value));
    return pairs.toArray(String[]::new);
  }

  @Test
  void readmeBlockBindsAndTheApplicationStarts() throws IOException {
    runner
        .withPropertyValues(readmeProperties())
        .withBean(Payments.class)
        .withBean(Orders.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              IdempotencyProperties bound = context.getBean(IdempotencyProperties.class);
              assertThat(bound.getPolicies()).containsKeys("payments", "http");
              assertThat(bound.getPolicies().get("http").onInProgress())
                  .isEqualTo(OnInProgress.REJECT);
              assertThat(bound.getPolicies().get("payments").onInProgress())
                  .isEqualTo(OnInProgress.REJECT);

              Payments payments = context.getBean(Payments.class);
              Receipt first = payments.charge(new ChargeCommand("order-1", 4200));
              assertThat(payments.charge(new ChargeCommand("order-1", 4200))).isEqualTo(first);
              assertThat(payments.charges()).isEqualTo(1);
            });
  }

  @Test
  void theEndpointsPolicyMustExist() {
    // what the README's endpoint example did before the block defined "http"
    runner
        .withPropertyValues(
            "idem.store=jdbc",
            "idem.jdbc.initialize-schema=always",
            "idem.policies.payments.on-in-progress=reject")
        .withBean(Orders.class)
        .run(
            context ->
                assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
                    .hasMessageContaining("'http' is not registered"));
  }
}

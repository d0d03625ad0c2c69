package dev.idem.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.spring.boot.autoconfigure.IdempotencyAutoConfiguration;
import dev.idem.spring.boot.autoconfigure.IdempotencyWebMvcAutoConfiguration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.http.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.DispatcherServletAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

class IdempotentEndpointValidationTest {

  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  AopAutoConfiguration.class,
                  HttpMessageConvertersAutoConfiguration.class,
                  DispatcherServletAutoConfiguration.class,
                  WebMvcAutoConfiguration.class,
                  IdempotencyAutoConfiguration.class,
                  IdempotencyWebMvcAutoConfiguration.class));

  @RestController
  static class AsyncController {
    @PostMapping("/async")
    @IdempotentEndpoint(name = "async.create")
    CompletableFuture<String> create() {
      return CompletableFuture.completedFuture("x");
    }
  }

  @RestController
  static class UnknownPolicyController {
    @PostMapping("/unknown")
    @IdempotentEndpoint(name = "unknown.create", policy = "missing")
    String create() {
      return "x";
    }
  }

  @RestController
  static class ValidController {
    @PostMapping("/valid")
    @IdempotentEndpoint(name = "valid.create", ttl = "1h")
    String create() {
      return "x";
    }
  }

  @Test
  void failsAtStartupOnAnAsynchronousHandler() {
    runner
        .withUserConfiguration(AsyncController.class)
        .run(
            context ->
                assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
                    .hasMessageContaining("AsyncController.create()")
                    .hasMessageContaining("CompletionStage"));
  }

  @Test
  void failsAtStartupOnAnUnknownPolicy() {
    runner
        .withUserConfiguration(UnknownPolicyController.class)
        .run(
            context ->
                assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
                    .hasMessageContaining("UnknownPolicyController.create()")
                    .hasMessageContaining("'missing' is not registered"));
  }

  @Test
  void registersValidEndpoints() {
    runner
        .withUserConfiguration(ValidController.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(IdempotentEndpoints.class).isEmpty()).isFalse();
              assertThat(context).hasBean("idempotencyKeyFilter");
            });
  }
}

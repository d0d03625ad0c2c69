package dev.idem.spring.web;

import dev.idem.IdempotencyInProgressException;
import dev.idem.annotation.OnInProgress;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.net.URI;
import java.security.Principal;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** A small MVC application with idempotent endpoints, for the HTTP tests. */
@SpringBootApplication
public class WebTestApplication {

  /** Sets the request's principal from the {@code X-User} header, as authentication would. */
  @Bean
  FilterRegistrationBean<Filter> fakeAuthentication() {
    Filter filter =
        (request, response, chain) -> {
          HttpServletRequest http = (HttpServletRequest) request;
          String user = http.getHeader("X-User");
          if (user == null) {
            chain.doFilter(request, response);
            return;
          }
          chain.doFilter(
              new HttpServletRequestWrapper(http) {
                @Override
                public Principal getUserPrincipal() {
                  return () -> user;
                }
              },
              response);
        };
    FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>(filter);
    registration.setOrder(-100);
    return registration;
  }

  /** Counters and latches the tests drive. */
  @Bean
  Probe probe() {
    return new Probe();
  }

  /** What the handlers did. */
  public static class Probe {
    final AtomicInteger created = new AtomicInteger();
    final AtomicInteger flaky = new AtomicInteger();
    final AtomicInteger optional = new AtomicInteger();
    final AtomicInteger slow = new AtomicInteger();
    final AtomicInteger nested = new AtomicInteger();
    volatile CountDownLatch slowEntered = new CountDownLatch(1);
    volatile CountDownLatch slowRelease = new CountDownLatch(1);
  }

  @RestController
  static class Things {
    private final Probe probe;

    Things(Probe probe) {
      this.probe = probe;
    }

    @PostMapping("/things")
    @IdempotentEndpoint(name = "things.create")
    ResponseEntity<Map<String, Object>> create(@RequestBody Map<String, Object> body)
        throws InterruptedException {
      int number = probe.created.incrementAndGet();
      Thread.sleep(100); // widens the window in which concurrent duplicates arrive
      return ResponseEntity.created(URI.create("/things/" + number))
          .header("X-Thing", "thing-" + number)
          .body(Map.of("number", number, "name", String.valueOf(body.get("name"))));
    }

    @PostMapping("/things/{id}/slow")
    @IdempotentEndpoint(name = "things.slow", onInProgress = OnInProgress.REJECT, lease = "30s")
    Map<String, Object> slow(@PathVariable String id) throws InterruptedException {
      probe.slowEntered.countDown();
      probe.slowRelease.await(30, TimeUnit.SECONDS);
      return Map.of("id", id, "runs", probe.slow.incrementAndGet());
    }

    @PostMapping("/flaky")
    @IdempotentEndpoint(name = "things.flaky")
    ResponseEntity<String> flaky() {
      int run = probe.flaky.incrementAndGet();
      return run == 1
          ? ResponseEntity.status(503).body("down")
          : ResponseEntity.ok("up after " + run + " runs");
    }

    @PostMapping("/optional")
    @IdempotentEndpoint(name = "things.optional", required = false)
    String optional() {
      return "run " + probe.optional.incrementAndGet();
    }

    @PostMapping("/nested")
    @IdempotentEndpoint(name = "things.nested")
    String nested() {
      int run = probe.nested.incrementAndGet();
      if (run == 1) {
        // what an @Idempotent service method the handler calls throws while a duplicate runs
        throw IdempotencyInProgressException.rejected("inner.op", Duration.ofSeconds(2));
      }
      return "nested run " + run;
    }

    @GetMapping("/plain")
    String plain() {
      return "plain";
    }
  }
}

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
    final AtomicInteger held = new AtomicInteger();
    final AtomicInteger statuses = new AtomicInteger();
    final AtomicInteger forms = new AtomicInteger();
    final AtomicInteger uploads = new AtomicInteger();
    final AtomicInteger charges = new AtomicInteger();
    volatile CountDownLatch slowEntered = new CountDownLatch(1);
    volatile CountDownLatch slowRelease = new CountDownLatch(1);
    volatile CountDownLatch heldEntered = new CountDownLatch(1);
    volatile CountDownLatch heldRelease = new CountDownLatch(1);

    void hold() throws InterruptedException {
      heldEntered.countDown();
      if (!heldRelease.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("never released");
      }
    }
  }

  /** A store that a test can take down: every call then fails as an unreachable store would. */
  @Bean
  SwitchableStore switchableStore() {
    return new SwitchableStore(dev.idem.store.memory.InMemoryIdempotencyStore.create());
  }

  /** The in-memory store behind a switch. */
  public static class SwitchableStore extends dev.idem.spi.ForwardingIdempotencyStore {
    volatile boolean down;

    SwitchableStore(dev.idem.spi.IdempotencyStore delegate) {
      super(delegate);
    }

    @Override
    public dev.idem.spi.ClaimResult claim(
        String key,
        @org.jspecify.annotations.Nullable String fingerprint,
        String owner,
        Duration lease,
        Duration ttl) {
      if (down) {
        throw dev.idem.IdempotencyStoreException.of(
            "memory", "claim", new java.net.ConnectException("connection refused"));
      }
      return super.claim(key, fingerprint, owner, lease, ttl);
    }
  }

  /** An {@code @Idempotent} service method behind a controller, scoped by the principal. */
  @org.springframework.stereotype.Service
  public static class Charges {
    private final Probe probe;

    Charges(Probe probe) {
      this.probe = probe;
    }

    @dev.idem.annotation.Idempotent(name = "charges.charge", key = "#reference")
    public String charge(String reference, int amount) {
      return "charge " + probe.charges.incrementAndGet() + " of " + amount;
    }
  }

  @RestController
  static class Things {
    private final Probe probe;
    private final Charges charges;

    Things(Probe probe, Charges charges) {
      this.probe = probe;
      this.charges = charges;
    }

    @PostMapping("/things")
    @IdempotentEndpoint(name = "things.create", onInProgress = OnInProgress.WAIT)
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

    @PostMapping("/held")
    @IdempotentEndpoint(name = "things.held", lease = "20s")
    String held() throws InterruptedException {
      probe.hold();
      return "held " + probe.held.incrementAndGet();
    }

    @PostMapping("/held-waiting")
    @IdempotentEndpoint(
        name = "things.heldWaiting",
        lease = "20s",
        onInProgress = OnInProgress.WAIT,
        waitTimeout = "300ms")
    String heldWaiting() throws InterruptedException {
      probe.hold();
      return "held " + probe.held.incrementAndGet();
    }

    @PostMapping("/status/{code}")
    @IdempotentEndpoint(name = "things.status")
    ResponseEntity<String> status(@PathVariable int code) {
      return ResponseEntity.status(code).body("status run " + probe.statuses.incrementAndGet());
    }

    @PostMapping("/send-error")
    @IdempotentEndpoint(name = "things.sendError")
    void sendError(jakarta.servlet.http.HttpServletResponse response) throws java.io.IOException {
      probe.statuses.incrementAndGet();
      response.sendError(400, "rejected by sendError");
    }

    @PostMapping("/big")
    @IdempotentEndpoint(name = "things.big")
    String big() {
      return "b".repeat(8 * 1024) + probe.statuses.incrementAndGet();
    }

    @PostMapping(value = "/form", consumes = "application/x-www-form-urlencoded")
    @IdempotentEndpoint(name = "things.form")
    String form(@org.springframework.web.bind.annotation.RequestParam Map<String, String> form) {
      return "form run " + probe.forms.incrementAndGet() + " " + new java.util.TreeMap<>(form);
    }

    @PostMapping(value = "/upload", consumes = "multipart/form-data")
    @IdempotentEndpoint(name = "things.upload")
    String upload(
        @org.springframework.web.bind.annotation.RequestParam("file")
            org.springframework.web.multipart.MultipartFile file) {
      return "upload run " + probe.uploads.incrementAndGet() + " " + file.getSize();
    }

    @PostMapping("/headers")
    @IdempotentEndpoint(name = "things.headers")
    ResponseEntity<String> headers() {
      return ResponseEntity.ok()
          .header("Set-Cookie", "session=secret; HttpOnly")
          .header("Vary", "Origin")
          .header("Access-Control-Allow-Origin", "https://example.com")
          .header("X-Kept", "kept")
          .body("headers run " + probe.statuses.incrementAndGet());
    }

    @PostMapping("/charges/{reference}")
    String charge(@PathVariable String reference) {
      return charges.charge(reference, 10);
    }

    @GetMapping("/plain")
    String plain() {
      return "plain";
    }
  }
}

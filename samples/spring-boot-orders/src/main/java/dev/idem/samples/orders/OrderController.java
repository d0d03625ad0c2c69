package dev.idem.samples.orders;

import dev.idem.spring.web.IdempotencyKeyFilter;
import dev.idem.spring.web.IdempotentEndpoint;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** The order API. */
@RestController
public class OrderController {

  private final OrderSaga saga;
  private final Orders orders;

  OrderController(OrderSaga saga, Orders orders) {
    this.saga = saga;
    this.orders = orders;
  }

  /**
   * Places an order, once per {@code Idempotency-Key}. The order id is derived from the key (and
   * the principal), so a retry after a failure resumes the same saga instead of starting another.
   *
   * @param key the parsed Idempotency-Key
   * @param principal the caller, if authenticated
   * @param request the order
   * @return 201 with the order and its payment (confirmed, or cancelled and refunded)
   */
  @PostMapping("/orders")
  @IdempotentEndpoint(name = "orders.place", policy = "http")
  public ResponseEntity<OrderResult> place(
      @RequestAttribute(IdempotencyKeyFilter.KEY_ATTRIBUTE) String key,
      @Nullable Principal principal,
      @RequestBody OrderRequest request) {
    String scope = principal == null ? "" : principal.getName();
    UUID orderId =
        UUID.nameUUIDFromBytes(("orders:" + scope + ":" + key).getBytes(StandardCharsets.UTF_8));
    OrderResult result = saga.place(orderId, request);
    return ResponseEntity.created(URI.create("/orders/" + orderId)).body(result);
  }

  /**
   * Reads an order.
   *
   * @param id the order id
   * @return the order, or 404
   */
  @GetMapping("/orders/{id}")
  public ResponseEntity<Order> get(@PathVariable UUID id) {
    return ResponseEntity.of(orders.find(id));
  }
}

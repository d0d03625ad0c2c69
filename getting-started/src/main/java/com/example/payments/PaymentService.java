package com.example.payments;

import dev.idem.annotation.Idempotent;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/** Charges orders; a retry of the same order gets the first receipt. */
public class PaymentService {

  private final AtomicInteger charges = new AtomicInteger();

  @Idempotent(name = "payments.charge", key = "#cmd.orderId", ttl = "24h")
  public Receipt charge(ChargeCommand cmd) {
    charges.incrementAndGet(); // the card gateway would be called here
    return new Receipt(cmd.orderId(), cmd.amountCents(), UUID.randomUUID().toString());
  }

  /** How many times a body really ran. */
  public int charges() {
    return charges.get();
  }
}

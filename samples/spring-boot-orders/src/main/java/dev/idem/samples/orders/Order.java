package dev.idem.samples.orders;

import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An order.
 *
 * @param id the order id
 * @param sku the product
 * @param quantity how many
 * @param amountCents the amount charged, in cents
 * @param status PENDING, CONFIRMED or CANCELLED
 * @param reason why it was cancelled, or null
 */
public record Order(
    UUID id, String sku, int quantity, long amountCents, String status, @Nullable String reason) {}

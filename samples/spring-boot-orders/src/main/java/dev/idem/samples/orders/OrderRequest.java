package dev.idem.samples.orders;

/**
 * A request to place an order.
 *
 * @param sku the product
 * @param quantity how many
 * @param amountCents the price to charge, in cents
 */
public record OrderRequest(String sku, int quantity, long amountCents) {

  /** Validates the request. */
  public OrderRequest {
    if (sku == null || sku.isBlank() || sku.length() > 64) {
      throw new IllegalArgumentException("sku must be 1-64 characters");
    }
    if (quantity <= 0) {
      throw new IllegalArgumentException("quantity must be positive");
    }
    if (amountCents < 0) {
      throw new IllegalArgumentException("amountCents must not be negative");
    }
  }
}

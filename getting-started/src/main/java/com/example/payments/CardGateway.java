package com.example.payments;

/** Charges a card; what must run once per order. */
public interface CardGateway {

  /**
   * Charges the order's amount.
   *
   * @param cmd the order and amount
   * @return the receipt
   */
  Receipt charge(ChargeCommand cmd);
}

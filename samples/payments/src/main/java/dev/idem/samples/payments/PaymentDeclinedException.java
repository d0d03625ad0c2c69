package dev.idem.samples.payments;

/** The card was declined: an outcome, replayed to retries rather than charged again. */
public class PaymentDeclinedException extends RuntimeException {

  /**
   * Creates the exception.
   *
   * @param message why the card was declined
   */
  public PaymentDeclinedException(String message) {
    super(message);
  }
}

package dev.idem.samples.orders;

/**
 * Not enough stock to reserve: an outcome, not a failure, so the reservation step stores and
 * replays it ({@code replayOn}) instead of letting a retry try again.
 */
public class OutOfStockException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was missing
   */
  public OutOfStockException(String message) {
    super(message);
  }
}

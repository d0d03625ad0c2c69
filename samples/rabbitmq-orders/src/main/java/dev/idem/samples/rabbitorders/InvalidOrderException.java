package dev.idem.samples.rabbitorders;

/** An order that can never be applied: a permanent failure, stored and dead-lettered. */
public class InvalidOrderException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message why
   */
  public InvalidOrderException(String message) {
    super(message);
  }
}

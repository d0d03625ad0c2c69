package dev.idem.samples.ledger;

/**
 * A deposit to an account: the amount, and the state it leads to (balance and version), so that a
 * consumer can apply it as absolute state.
 *
 * @param eventId the producer's id of the event, kept when it re-publishes it
 * @param account the account, also the record key (one partition per account)
 * @param version the account's version after the deposit: 1, 2, 3...
 * @param amount the deposit
 * @param balance the balance after the deposit
 */
public record AccountEvent(
    String eventId, String account, long version, long amount, long balance) {

  /**
   * Encodes the event as the record value.
   *
   * @return {@code version;amount;balance}
   */
  public String value() {
    return version + ";" + amount + ";" + balance;
  }

  /**
   * Decodes a record.
   *
   * @param eventId the event-id header
   * @param account the record key
   * @param value the record value
   * @return the event
   */
  public static AccountEvent parse(String eventId, String account, String value) {
    String[] parts = value.split(";");
    return new AccountEvent(
        eventId,
        account,
        Long.parseLong(parts[0]),
        Long.parseLong(parts[1]),
        Long.parseLong(parts[2]));
  }
}

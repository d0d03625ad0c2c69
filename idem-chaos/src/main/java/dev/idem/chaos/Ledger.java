package dev.idem.chaos;

import dev.idem.test.servers.RawRedis;
import java.util.List;

/**
 * Where bodies record that they ran: one Redis list per run and key on a server that no scenario
 * kills, fails over or flushes (the suite's own ledger {@code redis-server}), so every execution in
 * every process is counted however the store under test fares. An entry is {@code who@epochMillis},
 * written when the body starts.
 */
public final class Ledger {

  private final String address;

  /**
   * A ledger on a server.
   *
   * @param address {@code host:port}
   */
  public Ledger(String address) {
    this.address = address;
  }

  /**
   * Returns the server's address.
   *
   * @return {@code host:port}
   */
  public String address() {
    return address;
  }

  /**
   * Records that a body of a key started.
   *
   * @param run the scenario run
   * @param key the key
   * @param who who ran it
   */
  public void executed(String run, String key, String who) {
    RawRedis.call(address, "RPUSH", list(run, key), who + "@" + System.currentTimeMillis());
  }

  /**
   * Returns how many bodies of a key started.
   *
   * @param run the scenario run
   * @param key the key
   * @return the count
   */
  public int executions(String run, String key) {
    return ((Long) RawRedis.call(address, "LLEN", list(run, key))).intValue();
  }

  /**
   * Returns the entries of a key, oldest first.
   *
   * @param run the scenario run
   * @param key the key
   * @return {@code who@epochMillis} entries
   */
  @SuppressWarnings("unchecked")
  public List<String> entries(String run, String key) {
    return (List<String>) RawRedis.call(address, "LRANGE", list(run, key), "0", "-1");
  }

  private static String list(String run, String key) {
    return "chaos:" + run + ":" + key;
  }
}

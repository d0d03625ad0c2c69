package dev.idem.ltwtest;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.annotation.Idempotent;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run in a JVM started with the AspectJ agent: javac compiled this class, so only load-time weaving
 * can make {@link #charge} idempotent. Prints the number of executions and exits with 0 only when
 * two calls ran the body once.
 */
public final class LoadTimeWovenMain {

  static final AtomicInteger EXECUTIONS = new AtomicInteger();

  @Idempotent(name = "ltw.charge", key = "#orderId")
  public String charge(String orderId) {
    return orderId + "#" + EXECUTIONS.incrementAndGet();
  }

  public static void main(String[] args) {
    Idempotency.configure(IdempotencyConfig.ofDefaults());
    Idempotency.verifyWoven(LoadTimeWovenMain.class); // throws unless the agent wove this class
    System.out.println("verifyWoven passed");
    LoadTimeWovenMain service = new LoadTimeWovenMain();
    String first = service.charge("o-1");
    String second = service.charge("o-1");
    System.out.println("executions=" + EXECUTIONS.get() + " first=" + first + " second=" + second);
    Idempotency.unconfigure();
    System.exit(EXECUTIONS.get() == 1 && first.equals(second) ? 0 : 1);
  }
}

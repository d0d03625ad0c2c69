package dev.idem.samples.orders;

import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.stereotype.Component;

/** Simulates a crash in the middle of a saga, to show that a retry resumes it. */
@Component
public class SagaFaults {

  private final AtomicBoolean crashAfterCharge = new AtomicBoolean();

  /** Makes the next saga fail once, after its charge and before its reservation. */
  public void crashOnceAfterCharge() {
    crashAfterCharge.set(true);
  }

  void afterCharge() {
    if (crashAfterCharge.compareAndSet(true, false)) {
      throw new IllegalStateException("simulated crash after the charge");
    }
  }
}

package dev.idem.spring.boot.autoconfigure;

import dev.idem.spi.ExpiredRecordPurger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * Deletes expired records of stores that need it (the SQL store) on one daemon thread, in batches,
 * while the application context runs.
 */
final class ExpiredRecordPurging implements SmartLifecycle {

  private static final System.Logger LOG = System.getLogger("dev.idem.spring");

  private final ExpiredRecordPurger purger;
  private final Duration interval;
  private final int batchSize;
  private @Nullable ScheduledExecutorService executor;

  ExpiredRecordPurging(ExpiredRecordPurger purger, Duration interval, int batchSize) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("idem.purge.interval must be positive: " + interval);
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException("idem.purge.batch-size must be positive: " + batchSize);
    }
    this.purger = purger;
    this.interval = interval;
    this.batchSize = batchSize;
  }

  @Override
  public synchronized void start() {
    if (executor != null) {
      return;
    }
    ScheduledExecutorService started =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "idem-purge");
              thread.setDaemon(true);
              return thread;
            });
    long millis = interval.toMillis();
    started.scheduleWithFixedDelay(this::purge, millis, millis, TimeUnit.MILLISECONDS);
    executor = started;
  }

  private void purge() {
    try {
      int deleted;
      do {
        deleted = purger.purgeExpired(batchSize);
      } while (deleted == batchSize && !Thread.currentThread().isInterrupted());
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "Idem: purging expired records failed, will retry: {0}", e.toString());
    }
  }

  @Override
  public synchronized void stop() {
    if (executor != null) {
      executor.shutdownNow();
      executor = null;
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return executor != null;
  }
}

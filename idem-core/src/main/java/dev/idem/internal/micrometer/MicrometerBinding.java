package dev.idem.internal.micrometer;

import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyListener;
import dev.idem.spi.IdempotencyStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The meters of an engine whose configuration names a {@link MeterRegistry}: a listener for how
 * calls end and a decorator for store round trips. The engine reaches Micrometer only through
 * {@link #of}, which touches no Micrometer class when the configuration has no registry.
 */
public final class MicrometerBinding {

  private final MeterRegistry registry;

  private MicrometerBinding(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Returns the binding of a configuration's registry.
   *
   * @param config the configuration
   * @return the binding, or null if the configuration has no registry
   */
  public static @Nullable MicrometerBinding of(IdempotencyConfig config) {
    Optional<MeterRegistry> registry = config.meterRegistry();
    return registry.isPresent() ? new MicrometerBinding(registry.get()) : null;
  }

  /**
   * Returns a listener recording how calls ended.
   *
   * @return the listener
   */
  public IdempotencyListener listener() {
    return new MicrometerListener(registry);
  }

  /**
   * Returns a store timing its round trips to {@code store}.
   *
   * @param store the store the engine calls
   * @return the metered store
   */
  public IdempotencyStore meter(IdempotencyStore store) {
    return new MeteredStore(store, registry);
  }
}

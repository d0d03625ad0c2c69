package dev.idem.samples.payments;

import dev.idem.spi.IdempotencyStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;

/** Picks the demo's store from its command line. */
final class DemoStores {

  private DemoStores() {}

  static IdempotencyStore fromArgs(String[] args) {
    String store = "memory";
    for (String arg : args) {
      if (arg.equals("--help")) {
        System.out.println("options: --store=memory");
        System.exit(0);
      } else if (arg.startsWith("--store=")) {
        store = arg.substring("--store=".length());
      } else {
        throw new IllegalArgumentException("unknown option " + arg + "; try --help");
      }
    }
    if (store.equals("memory")) {
      return InMemoryIdempotencyStore.create();
    }
    throw new IllegalArgumentException("unknown store '" + store + "'; try --help");
  }
}

package dev.idem.samples.payments;

import dev.idem.spi.IdempotencyStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.store.redis.RedissonIdempotencyStore;

/** Picks the demo's store from its command line. */
final class DemoStores {

  static final String USAGE =
      String.join(
          "\n",
          "options:",
          "  --store=memory                      in-process (default, no server)",
          "  --store=redis [--url=redis://127.0.0.1:6379]",
          "");

  private DemoStores() {}

  static IdempotencyStore fromArgs(String[] args) {
    String store = "memory";
    String url = null;
    for (String arg : args) {
      if (arg.equals("--help")) {
        System.out.print(USAGE);
        System.exit(0);
      } else if (arg.startsWith("--store=")) {
        store = arg.substring("--store=".length());
      } else if (arg.startsWith("--url=")) {
        url = arg.substring("--url=".length());
      } else {
        throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
      }
    }
    switch (store) {
      case "memory":
        return InMemoryIdempotencyStore.create();
      case "redis":
        return RedissonIdempotencyStore.fromUrl(url != null ? url : "redis://127.0.0.1:6379");
      default:
        throw new IllegalArgumentException("unknown store '" + store + "'\n" + USAGE);
    }
  }
}

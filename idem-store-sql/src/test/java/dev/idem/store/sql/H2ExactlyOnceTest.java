package dev.idem.store.sql;

import dev.idem.store.sql.Databases.Kind;

/** Exactly-once effect with business writes, on H2, in memory. */
class H2ExactlyOnceTest extends ExactlyOnceCases {
  @Override
  Kind kind() {
    return Kind.H2;
  }
}

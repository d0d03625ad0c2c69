/**
 * The Kafka ledger sample: a plain-Java consumer applies account events to four ledgers, two of
 * them idempotent by their writes (a version-guarded upsert) and by Idem's records (an increment),
 * two not (a last-write-wins upsert, an increment alone), with offsets stored in the transaction of
 * the writes. Run {@link dev.idem.samples.ledger.LedgerDemo}.
 */
@NullMarked
package dev.idem.samples.ledger;

import org.jspecify.annotations.NullMarked;

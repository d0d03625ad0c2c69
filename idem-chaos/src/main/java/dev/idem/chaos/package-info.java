/**
 * Idem's own chaos suite (not published): private server processes ({@link
 * dev.idem.chaos.PrivatePostgres}, Redis through {@link dev.idem.chaos.PrivateRedis}), worker JVMs
 * ({@link dev.idem.chaos.WorkerProcess} running {@link dev.idem.chaos.ChaosWorker}), an execution
 * ledger and the figures each scenario prints. The scenarios are the tests of this module, run by
 * {@code mvn -Pchaos verify}.
 */
@NullMarked
package dev.idem.chaos;

import org.jspecify.annotations.NullMarked;

/**
 * Benchmarks of Idem: {@link dev.idem.benchmarks.CallBenchmark} (one call through the engine
 * against a direct call), {@link dev.idem.benchmarks.StepsBenchmark} (the fingerprint and the
 * result's Jackson work on their own) and {@link dev.idem.benchmarks.StoreLoadHarness} (the stores
 * under concurrent load against hand-written round trips). BENCHMARKS.md at the repository root has
 * the commands and the latest results.
 */
@NullMarked
package dev.idem.benchmarks;

import org.jspecify.annotations.NullMarked;

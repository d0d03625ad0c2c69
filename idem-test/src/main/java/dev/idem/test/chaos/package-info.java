/**
 * Chaos testing for an application's own idempotent operations: {@link
 * dev.idem.test.chaos.FaultInjectingStore} injects store faults on a seeded, reproducible schedule,
 * {@link dev.idem.test.chaos.RetrySafety} drives an operation through duplicates, lost responses
 * with client retries and those faults and asserts that the application's own state shows one
 * execution, and {@link dev.idem.test.chaos.ChaosTest} runs it over seeded trials in JUnit 5.
 */
@NullMarked
package dev.idem.test.chaos;

import org.jspecify.annotations.NullMarked;

/**
 * Idem's own test-server fixtures, in the internal {@code idem-test-support} module: never
 * published, not in {@code idem-bom}, no compatibility promise. Users and store authors test with
 * {@code idem-test} (the conformance kit, {@code MutableClock}, the assertions, the chaos toolkit)
 * and bring their own servers.
 *
 * <p>A server is taken from an {@code IDEM_TEST_*} environment variable first, then from the local
 * default port, then from Testcontainers when a Docker engine is present; when none is reachable
 * the fixture fails loudly, naming the variables to set. Store tests are never skipped silently.
 */
@NullMarked
package dev.idem.test.servers;

import org.jspecify.annotations.NullMarked;

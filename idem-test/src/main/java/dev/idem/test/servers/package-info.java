/**
 * Test-server fixtures. A server is taken from an {@code IDEM_TEST_*} environment variable first,
 * then from the local default port, then from Testcontainers when a Docker engine is present; when
 * none is reachable the fixture fails loudly, naming the variables to set. Store tests are never
 * skipped silently.
 */
@NullMarked
package dev.idem.test.servers;

import org.jspecify.annotations.NullMarked;

package dev.idem.test.servers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** The probes by which the fixtures decide where a server comes from. */
final class ServerProbes {

  private ServerProbes() {}

  /**
   * Returns whether something accepts TCP connections at the address within the timeout.
   *
   * @param host the host
   * @param port the port
   * @param timeoutMillis the connect timeout
   * @return true if a connection was accepted
   */
  static boolean listening(String host, int port, int timeoutMillis) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), timeoutMillis);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Returns whether Testcontainers is on the class path (an optional dependency of this module), so
   * that the {@code *Containers} classes, which need it, may be loaded.
   *
   * @return true if Testcontainers can be used
   */
  static boolean testcontainersPresent() {
    try {
      Class.forName(
          "org.testcontainers.DockerClientFactory", false, ServerProbes.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}

package dev.idem.store.sql;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy in front of a database server, so that a test can take the server away from
 * a store (and give it back) without touching the server, which other tests share.
 *
 * <ul>
 *   <li>{@link #cut()}: every open connection is closed and new ones are closed at once, as when
 *       the server is down;
 *   <li>{@link #blackhole()}: connections stay open but nothing is forwarded any more, as when the
 *       network drops packets;
 *   <li>{@link #restore()}: new connections are forwarded again.
 * </ul>
 */
final class TcpProxy implements AutoCloseable {

  private enum Mode {
    FORWARD,
    CUT,
    BLACKHOLE
  }

  private final String targetHost;
  private final int targetPort;
  private final ServerSocket server;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile Mode mode = Mode.FORWARD;

  TcpProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "tcp-proxy-accept-" + port());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The loopback port the proxy listens on. */
  int port() {
    return server.getLocalPort();
  }

  /** Closes every connection and refuses new ones until {@link #restore()}. */
  void cut() {
    mode = Mode.CUT;
    closeAll();
  }

  /** Stops forwarding bytes, in both directions, on every connection, without closing any. */
  void blackhole() {
    mode = Mode.BLACKHOLE;
  }

  /** Forwards new connections again; connections cut or blackholed before stay dead. */
  void restore() {
    closeAll(); // blackholed connections must not come back to life half-way through a message
    mode = Mode.FORWARD;
  }

  @Override
  public void close() throws IOException {
    server.close();
    closeAll();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        if (mode == Mode.CUT) {
          client.close();
          continue;
        }
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress(targetHost, targetPort), 2_000);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        // the server socket was closed, or the target refused: the client sees a closed socket
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread thread =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              try (from;
                  to;
                  InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  if (mode == Mode.FORWARD) {
                    out.write(buffer, 0, n);
                    out.flush();
                  } // else: swallowed, like a network that drops packets
                }
              } catch (IOException e) {
                // either side closed: the try closes both
              } finally {
                sockets.remove(from);
                sockets.remove(to);
              }
            },
            "tcp-proxy-pump");
    thread.setDaemon(true);
    thread.start();
  }

  private void closeAll() {
    for (Socket socket : sockets) {
      try {
        socket.close();
      } catch (IOException e) {
        // already closed
      }
    }
    sockets.clear();
  }
}

package dev.idem.test.servers;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Sends single commands to one Redis node over a fresh TCP connection, with no client library: what
 * fixtures need to probe, configure and administer test servers (PING, CLUSTER INFO, CLUSTER
 * SETSLOT, MIGRATE, ...). Not for application traffic.
 *
 * <p>Replies are returned as Java values: simple and bulk strings as {@link String} (UTF-8),
 * integers as {@link Long}, arrays as {@link List}, nil as null; an error reply throws {@link
 * RedisErrorReply}.
 */
public final class RawRedis {

  private static final int DEFAULT_TIMEOUT_MILLIS = 5_000;

  private RawRedis() {}

  /**
   * Sends one command to a node and returns its reply.
   *
   * @param address the node, {@code host:port}
   * @param command the command and its arguments, for example {@code "CLUSTER", "INFO"}
   * @return the reply
   * @throws RedisErrorReply if the node answers with an error
   * @throws UncheckedIOException if the node cannot be reached or the connection breaks
   */
  public static @Nullable Object call(String address, String... command) {
    return call(address, DEFAULT_TIMEOUT_MILLIS, command);
  }

  /**
   * Sends one command to a node with a connect and read timeout, and returns its reply.
   *
   * @param address the node, {@code host:port}
   * @param timeoutMillis the connect and read timeout
   * @param command the command and its arguments
   * @return the reply
   * @throws RedisErrorReply if the node answers with an error
   * @throws UncheckedIOException if the node cannot be reached or the connection breaks
   */
  public static @Nullable Object call(String address, int timeoutMillis, String... command) {
    int colon = address.lastIndexOf(':');
    String host = address.substring(0, colon);
    int port = Integer.parseInt(address.substring(colon + 1));
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      OutputStream out = socket.getOutputStream();
      out.write(encode(command));
      out.flush();
      return read(new BufferedInputStream(socket.getInputStream()));
    } catch (IOException e) {
      throw new UncheckedIOException("Redis at " + address + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Returns whether a node answers PING within the timeout.
   *
   * @param address the node, {@code host:port}
   * @param timeoutMillis the connect and read timeout
   * @return true if it answered PONG
   */
  public static boolean ping(String address, int timeoutMillis) {
    try {
      return "PONG".equals(call(address, timeoutMillis, "PING"));
    } catch (UncheckedIOException | RedisErrorReply e) {
      return false;
    }
  }

  /**
   * Returns one field of an {@code INFO}-style text reply ({@code name:value} lines).
   *
   * @param info the reply of {@code INFO} or {@code CLUSTER INFO}
   * @param field the field name
   * @return the value, or null when the field is absent
   */
  public static @Nullable String infoField(String info, String field) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1).trim();
      }
    }
    return null;
  }

  private static byte[] encode(String... command) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    buffer.writeBytes(("*" + command.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (String argument : command) {
      byte[] bytes = argument.getBytes(StandardCharsets.UTF_8);
      buffer.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      buffer.writeBytes(bytes);
      buffer.writeBytes(new byte[] {'\r', '\n'});
    }
    return buffer.toByteArray();
  }

  private static @Nullable Object read(InputStream in) throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new IOException("connection closed before the reply");
    }
    String line = readLine(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new RedisErrorReply(line);
      case ':':
        return Long.parseLong(line);
      case '$':
        {
          int length = Integer.parseInt(line);
          if (length < 0) {
            return null;
          }
          byte[] bytes = in.readNBytes(length + 2);
          if (bytes.length != length + 2) {
            throw new IOException("connection closed inside a bulk string");
          }
          return new String(bytes, 0, length, StandardCharsets.UTF_8);
        }
      case '*':
        {
          int count = Integer.parseInt(line);
          if (count < 0) {
            return null;
          }
          List<@Nullable Object> elements = new ArrayList<>(count);
          for (int i = 0; i < count; i++) {
            elements.add(read(in));
          }
          return elements;
        }
      default:
        throw new IOException("unexpected reply type " + (char) type);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int previous = -1;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed inside a reply");
      }
      if (previous == '\r' && b == '\n') {
        byte[] bytes = line.toByteArray();
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
      }
      line.write(b);
      previous = b;
    }
  }

  /** An error reply from Redis, such as {@code ERR ...}, {@code MOVED ...} or {@code NOSCRIPT}. */
  public static final class RedisErrorReply extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RedisErrorReply(String message) {
      super(message);
    }
  }
}

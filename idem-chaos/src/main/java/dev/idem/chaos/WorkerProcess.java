package dev.idem.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A worker JVM: a child process running {@link ChaosWorker} with this JVM's class path. Its
 * standard output is read line by line into a list the test waits on ({@link #await}); its standard
 * error goes to a file under {@code target/chaos-workers}. It can be frozen ({@code kill -STOP}),
 * thawed ({@code kill -CONT}) and killed ({@code kill -9}); every worker still alive is killed when
 * closed and by a JVM shutdown hook.
 */
public final class WorkerProcess implements AutoCloseable {

  private static final Set<WorkerProcess> ALIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> ALIVE.forEach(WorkerProcess::close), "idem-chaos-workers-stop"));
  }

  private final String name;
  private final Process process;
  private final List<String> lines = new ArrayList<>();
  private final Path errors;
  private volatile long diedAtMillis;

  private WorkerProcess(String name, Process process, Path errors) {
    this.name = name;
    this.process = process;
    this.errors = errors;
  }

  /**
   * Starts a worker.
   *
   * @param name the worker's name (its values and ledger entries carry it)
   * @param arguments {@link ChaosWorker}'s arguments after the name
   * @return the running worker
   */
  public static WorkerProcess start(String name, List<String> arguments) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of(
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-XX:-UsePerfData",
            // the class path is this build's own: skipping its verification shortens start-up
            "-XX:+UnlockDiagnosticVMOptions",
            "-XX:-BytecodeVerificationRemote",
            "-Xss512k",
            "-Xmx192m",
            "-Xshare:auto",
            "-Dorg.jooq.no-logo=true",
            "-Dorg.jooq.no-tips=true",
            "-cp",
            classPath(),
            ChaosWorker.class.getName(),
            name));
    command.addAll(arguments);
    Path dir = Path.of("target", "chaos-workers").toAbsolutePath();
    try {
      Files.createDirectories(dir);
      Path errors = dir.resolve(name + ".err");
      Process process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
      WorkerProcess worker = new WorkerProcess(name, process, errors);
      ALIVE.add(worker);
      Thread reader = new Thread(worker::readOutput, "chaos-worker-out-" + name);
      reader.setDaemon(true);
      reader.start();
      return worker;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start worker " + name, e);
    }
  }

  /**
   * Returns the worker's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the process id.
   *
   * @return the pid
   */
  public long pid() {
    return process.pid();
  }

  /**
   * Returns whether the process is alive.
   *
   * @return true while it runs
   */
  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Sends a line to the worker's standard input.
   *
   * @param line the line
   */
  public void send(String line) {
    try {
      OutputStream in = process.getOutputStream();
      in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("worker " + name + " does not read its input", e);
    }
  }

  /**
   * Waits for an output line.
   *
   * @param matching what it must satisfy
   * @param timeoutMillis how long to wait
   * @param what what is awaited, for the failure message
   * @return the first matching line
   * @throws AssertionError if none comes in time, or the worker dies first
   */
  public String await(Predicate<String> matching, long timeoutMillis, String what) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    synchronized (lines) {
      int seen = 0;
      while (true) {
        for (; seen < lines.size(); seen++) {
          if (matching.test(lines.get(seen))) {
            return lines.get(seen);
          }
        }
        long left = deadline - System.nanoTime();
        boolean ended = !process.isAlive() && outputClosed;
        if (left <= 0 || ended) {
          throw new AssertionError(
              "worker "
                  + name
                  + (ended ? " ended (exit " + exitCode() + ")" : " timed out")
                  + " before "
                  + what
                  + "; its output: "
                  + tail(lines, 20)
                  + "; its errors: "
                  + errorTail());
        }
        try {
          lines.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted while waiting for " + what, e);
        }
      }
    }
  }

  /**
   * Waits for a line starting with {@code prefix}.
   *
   * @param prefix the prefix
   * @param timeoutMillis how long to wait
   * @return the line
   */
  public String awaitPrefix(String prefix, long timeoutMillis) {
    return await(l -> l.startsWith(prefix), timeoutMillis, "a line starting with '" + prefix + "'");
  }

  /**
   * Returns every line printed so far.
   *
   * @return a copy
   */
  public List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /**
   * Returns the lines printed so far that start with {@code prefix}.
   *
   * @param prefix the prefix
   * @return the lines
   */
  public List<String> lines(String prefix) {
    return lines().stream().filter(l -> l.startsWith(prefix)).toList();
  }

  /**
   * Waits for the process to end by itself.
   *
   * @param timeoutMillis how long to wait
   * @return the exit code
   * @throws AssertionError if it does not end in time
   */
  public int awaitExit(long timeoutMillis) {
    try {
      if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
        throw new AssertionError(
            "worker "
                + name
                + " did not end within "
                + timeoutMillis
                + " ms: "
                + tail(lines(), 20));
      }
      awaitOutputClosed();
      ALIVE.remove(this);
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Freezes the process: {@code kill -STOP}; its threads, lease renewals included, stop. */
  public void stop() {
    signal("STOP");
  }

  /** Thaws a frozen process: {@code kill -CONT}. */
  public void resume() {
    signal("CONT");
  }

  /**
   * Kills the process with SIGKILL ({@code kill -9}) and waits until it is gone.
   *
   * @return when its death was confirmed, in epoch milliseconds
   */
  public long kill9() {
    signal("KILL");
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("worker " + name + " survived kill -9");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    diedAtMillis = System.currentTimeMillis();
    awaitOutputClosed();
    ALIVE.remove(this);
    return diedAtMillis;
  }

  /** Kills the worker if it still runs (thawing it first, in case it is frozen). */
  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        signal("CONT");
      } catch (RuntimeException e) {
        // it may have ended meanwhile
      }
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    ALIVE.remove(this);
  }

  private volatile boolean outputClosed;

  private void readOutput() {
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException e) {
      // the process died
    } finally {
      synchronized (lines) {
        outputClosed = true;
        lines.notifyAll();
      }
    }
  }

  private void awaitOutputClosed() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    synchronized (lines) {
      while (!outputClosed && System.nanoTime() < deadline) {
        try {
          lines.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void signal(String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .start();
      if (!kill.waitFor(10, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
        throw new IllegalStateException("kill -" + signal + " did not return");
      }
      if (kill.exitValue() != 0 && process.isAlive()) {
        throw new IllegalStateException(
            "kill -"
                + signal
                + " "
                + process.pid()
                + " failed: "
                + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private String exitCode() {
    try {
      return Integer.toString(process.exitValue());
    } catch (IllegalThreadStateException e) {
      return "?";
    }
  }

  private String errorTail() {
    try {
      return tail(Files.readAllLines(errors, StandardCharsets.UTF_8), 15);
    } catch (IOException e) {
      return "(none)";
    }
  }

  private static String tail(List<String> all, int n) {
    return String.join(" | ", all.subList(Math.max(0, all.size() - n), all.size()));
  }

  /** The class path worker JVMs run with: this JVM's test class path. */
  static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    String path =
        surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    if (path == null || path.isBlank()) {
      throw new IllegalStateException("no class path to start worker JVMs with");
    }
    return path;
  }
}

package dev.idem.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * One scenario's figures: trials, executions, losses and the verdict, printed as one line and
 * appended as a Markdown table row to the file named by the system property {@code
 * idem.chaos.figures} (the build sets {@code target/chaos-figures.txt}), from which CHAOS.md's
 * table is copied.
 *
 * @param scenario the scenario
 * @param trials how many trials ran (keys, kills, outages: the scenario says)
 * @param executions bodies that ran, as counted by the ledger or the business rows
 * @param expected executions the documented behaviour allows
 * @param losses violations: duplicates beyond what is documented, lost or orphaned writes, callers
 *     with a wrong answer
 * @param explained figures that are allowed and explained (e.g. duplicates inside a documented
 *     window), with their explanation
 * @param seconds how long the scenario ran
 */
public record Figures(
    String scenario,
    int trials,
    int executions,
    int expected,
    int losses,
    String explained,
    double seconds) {

  /**
   * Returns whether the scenario passed.
   *
   * @return true if there were no losses and the executions were the expected ones
   */
  public boolean passed() {
    return losses == 0 && executions == expected;
  }

  /**
   * Returns the one line printed for the scenario.
   *
   * @return the line
   */
  public String line() {
    return String.format(
        Locale.ROOT,
        "CHAOS %s: trials=%d executions=%d (expected %d) losses=%d%s time=%.1fs verdict=%s",
        scenario,
        trials,
        executions,
        expected,
        losses,
        explained.isEmpty() ? "" : " explained=[" + explained + "]",
        seconds,
        passed() ? "PASS" : "FAIL");
  }

  /**
   * Returns the Markdown table row.
   *
   * @return the row
   */
  public String row() {
    return String.format(
        Locale.ROOT,
        "| %s | %d | %d (expected %d) | %d | %s | %.0f s | %s |",
        scenario,
        trials,
        executions,
        expected,
        losses,
        explained.isEmpty() ? "—" : explained,
        seconds,
        passed() ? "PASS" : "FAIL");
  }

  /**
   * Prints the line and appends the row to the figures file, if one is configured.
   *
   * @return this
   */
  public Figures print() {
    System.out.println(line());
    String file = System.getProperty("idem.chaos.figures");
    if (file != null && !file.isBlank()) {
      try {
        Path path = Path.of(file);
        Files.createDirectories(path.toAbsolutePath().getParent());
        Files.writeString(
            path,
            row() + "\n",
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return this;
  }
}

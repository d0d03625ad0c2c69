package dev.idem.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The figures line and row; runs in the default build (the scenarios do not). */
class FiguresTest {

  @Test
  void passesOnlyWithoutLossesAndWithTheExpectedExecutions() {
    assertThat(new Figures("s", 10, 10, 10, 0, "", 1).passed()).isTrue();
    assertThat(new Figures("s", 10, 11, 10, 0, "", 1).passed()).isFalse();
    assertThat(new Figures("s", 10, 10, 10, 1, "", 1).passed()).isFalse();
  }

  @Test
  void printsOneLineOfFigures() {
    Figures figures = new Figures("1 storm, redis", 540, 60, 60, 0, "3 JVMs", 12.34);
    assertThat(figures.line())
        .isEqualTo(
            "CHAOS 1 storm, redis: trials=540 executions=60 (expected 60) losses=0"
                + " explained=[3 JVMs] time=12.3s verdict=PASS");
    assertThat(figures.row())
        .isEqualTo("| 1 storm, redis | 540 | 60 (expected 60) | 0 | 3 JVMs | 12 s | PASS |");
  }
}

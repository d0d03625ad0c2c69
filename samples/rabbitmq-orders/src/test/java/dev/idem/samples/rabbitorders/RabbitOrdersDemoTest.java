package dev.idem.samples.rabbitorders;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Runs the demo against the real RabbitMQ and PostgreSQL, with its crashing consumer JVM. */
class RabbitOrdersDemoTest {

  @Test
  void everyOrderIsAppliedOnceDespiteDuplicatesAndACrash() throws Exception {
    RabbitOrdersDemo.Report report =
        RabbitOrdersDemo.run(RabbitOrdersDemo.rabbitUrl(), RabbitOrdersDemo.postgresUrl());
    report.print(System.out);

    assertThat(report.rows()).isEqualTo(RabbitOrdersDemo.ORDERS);
    assertThat(report.distinctOrders()).isEqualTo(RabbitOrdersDemo.ORDERS);
    assertThat(report.crashed().effects() + report.recovered().effects())
        .isEqualTo(RabbitOrdersDemo.ORDERS);
    assertThat(report.recovered().redeliveries()).as("unacked deliveries came back").isPositive();
    assertThat(report.crashed().duplicatesSkipped() + report.recovered().duplicatesSkipped())
        .isGreaterThanOrEqualTo(report.republished());
    assertThat(report.deadLettered()).isEqualTo(1);
    assertThat(report.crashed().invalid() + report.recovered().invalid()).isEqualTo(1);
  }
}

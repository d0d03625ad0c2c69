package com.example.payments;

/** A request to charge an order. */
public record ChargeCommand(String orderId, long amountCents) {}

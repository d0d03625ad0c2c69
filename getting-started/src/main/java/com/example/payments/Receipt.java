package com.example.payments;

/** What a charge returns; replayed to every retry of the same order. */
public record Receipt(String orderId, long amountCents, String chargeId) {}

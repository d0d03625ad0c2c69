/**
 * Idempotent message consumers, independent of any broker: {@link
 * dev.idem.messaging.IdempotentConsumer} runs a handler once per message id through the Idem engine
 * and the configured store, and tells the broker adapter what to do with the delivery ({@link
 * dev.idem.messaging.Disposition}). With the SQL store in transactional mode and a {@link
 * dev.idem.messaging.TransactionRunner}, the dedup record and the handler's writes commit in one
 * database transaction.
 */
@NullMarked
package dev.idem.messaging;

import org.jspecify.annotations.NullMarked;

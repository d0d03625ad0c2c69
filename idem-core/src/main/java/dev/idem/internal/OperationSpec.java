package dev.idem.internal;

/**
 * Everything the engine needs to know about one operation, decided once: its name, where it is
 * declared (for messages), its resolved policy and its result codec.
 *
 * @param name the stable operation name, part of every key
 * @param description the method or operation, for configuration messages
 * @param policy the resolved policy
 * @param codec the result codec for its return type
 */
public record OperationSpec(
    String name, String description, ResolvedPolicy policy, ResultCodec codec) {}

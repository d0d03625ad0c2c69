/**
 * The Redis store of Idem, on Redisson ({@link dev.idem.store.redis.RedissonIdempotencyStore}) or
 * on Lettuce ({@link dev.idem.store.redis.LettuceIdempotencyStore}, with {@code lettuce-core} on
 * the class path), sharing one record layout and one set of scripts. It works on standalone Redis,
 * Sentinel and Redis Cluster (Redis 7.0 or later); a record is one string value, a claim is one
 * plain {@code SET … NX PX … GET} (which also returns a completed record to replay), every other
 * operation is one Lua script run by its SHA, each in one round trip, and waiting duplicates are
 * woken through Redis pub/sub.
 */
@NullMarked
package dev.idem.store.redis;

import org.jspecify.annotations.NullMarked;

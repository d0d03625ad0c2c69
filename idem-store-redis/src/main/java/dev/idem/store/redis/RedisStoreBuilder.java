package dev.idem.store.redis;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the builders of {@link RedissonIdempotencyStore} and {@link LettuceIdempotencyStore} share:
 * the URL of a client the store builds for itself, and the key prefix.
 *
 * @param <B> the builder's own type
 */
abstract class RedisStoreBuilder<B extends RedisStoreBuilder<B>> {

  @Nullable String url;
  String keyPrefix = RedissonIdempotencyStore.DEFAULT_KEY_PREFIX;

  RedisStoreBuilder() {}

  /**
   * Sets the URL of one Redis server to build a client for; the store owns that client and shuts it
   * down when it is closed.
   *
   * @param url {@code redis://host:port} or {@code rediss://host:port}
   * @return this builder
   * @throws IllegalArgumentException if the URL is not a redis or rediss URL
   */
  public B url(String url) {
    Objects.requireNonNull(url, "url");
    if (!url.startsWith("redis://") && !url.startsWith("rediss://")) {
      throw new IllegalArgumentException("not a redis:// or rediss:// URL");
    }
    this.url = url;
    return self();
  }

  /**
   * Sets the prefix of every Redis key and of the completion channel; default {@value
   * RedissonIdempotencyStore#DEFAULT_KEY_PREFIX}. Stores that share a prefix share records,
   * whichever client they use.
   *
   * @param keyPrefix the prefix, possibly empty; no braces, which would break the hash tag
   * @return this builder
   * @throws IllegalArgumentException if the prefix contains a brace
   */
  public B keyPrefix(String keyPrefix) {
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
      throw new IllegalArgumentException("a key prefix must not contain braces: " + keyPrefix);
    }
    this.keyPrefix = keyPrefix;
    return self();
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }
}

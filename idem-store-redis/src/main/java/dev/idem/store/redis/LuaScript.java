package dev.idem.store.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.redisson.api.RScript;
import org.redisson.client.RedisNoScriptException;
import org.redisson.client.codec.ByteArrayCodec;

/**
 * One of the store's Lua scripts: its source (the shared prelude followed by the operation's body)
 * and the SHA-1 digest Redis knows it by.
 *
 * <p>Scripts run with {@code EVALSHA}. A server that does not know the script (first use, a
 * restart, {@code SCRIPT FLUSH}, a failover to a replica that never saw it) answers {@code
 * NOSCRIPT} without running anything, so the script is then loaded (on every master) and run again
 * by its SHA.
 */
final class LuaScript {

  private static final String PRELUDE = resource("prelude.lua");

  static final LuaScript CLAIM = of("claim");
  static final LuaScript COMPLETE = of("complete");
  static final LuaScript RELEASE = of("release");
  static final LuaScript RENEW = of("renew");
  static final LuaScript FIND = of("find");
  static final LuaScript DELETE = of("delete");
  static final LuaScript WATCH = of("watch");

  private final String source;
  private final String sha;

  private LuaScript(String source) {
    this.source = source;
    this.sha = sha1Hex(source);
  }

  /** Returns the script's source, which {@code EVAL} runs and caches when a server lacks it. */
  String source() {
    return source;
  }

  /** Returns the SHA-1 digest of the source, which {@code EVALSHA} names the script by. */
  String sha() {
    return sha;
  }

  private static LuaScript of(String name) {
    return new LuaScript(PRELUDE + "\n" + resource(name + ".lua"));
  }

  /**
   * Runs the script on the master that owns {@code redisKey}, in one {@code EVALSHA} (two more
   * round trips only when the server has to learn the script first).
   *
   * @param script a script object whose codec is {@link ByteArrayCodec}
   * @param redisKey the record's Redis key, the script's only key
   * @param args the script's arguments, already encoded
   * @return the reply: a {@code Long}, or a {@code List} of {@code byte[]} (strings) and {@code
   *     null}s (absent fields)
   */
  Object run(RScript script, String redisKey, byte[]... args) {
    List<Object> keys = List.of(redisKey);
    Object[] values = args;
    try {
      return script.evalSha(
          redisKey, RScript.Mode.READ_WRITE, sha, RScript.ReturnType.MULTI, keys, values);
    } catch (RedisNoScriptException e) {
      load(script, redisKey);
      return script.evalSha(
          redisKey, RScript.Mode.READ_WRITE, sha, RScript.ReturnType.MULTI, keys, values);
    }
  }

  /**
   * Runs the script like {@link #run} without waiting: on {@code NOSCRIPT}, the script is sent once
   * more with {@code EVAL}, which also caches it on that server.
   *
   * @return the reply, or the failure
   */
  CompletionStage<Object> runAsync(RScript script, String redisKey, byte[]... args) {
    List<Object> keys = List.of(redisKey);
    Object[] values = args;
    return script
        .evalShaAsync(
            redisKey, RScript.Mode.READ_WRITE, sha, RScript.ReturnType.MULTI, keys, values)
        .exceptionallyCompose(
            failure ->
                unwrap(failure) instanceof RedisNoScriptException
                    ? script.evalAsync(
                        redisKey,
                        RScript.Mode.READ_WRITE,
                        source,
                        RScript.ReturnType.MULTI,
                        keys,
                        values)
                    : CompletableFuture.failedFuture(failure));
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }

  /**
   * Loads the script on every master, so that a key whose slot is being migrated finds it on both
   * nodes of the migration; if some master is unreachable, at least on the key's own node.
   */
  private void load(RScript script, String redisKey) {
    try {
      script.scriptLoad(source);
    } catch (RuntimeException onAllMasters) {
      try {
        script.scriptLoadAsync(redisKey, source).toCompletableFuture().join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof RuntimeException cause) {
          throw cause;
        }
        throw e;
      }
    }
  }

  private static String resource(String file) {
    try (InputStream in = LuaScript.class.getResourceAsStream(file)) {
      if (in == null) {
        throw new IllegalStateException("missing script resource " + file);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha1Hex(String source) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JVM", e);
    }
  }
}

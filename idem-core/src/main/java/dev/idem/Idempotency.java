package dev.idem;

import dev.idem.internal.AnnotatedMethod;
import dev.idem.internal.Engine;
import dev.idem.internal.Fingerprinter;
import dev.idem.internal.Keys;
import java.lang.reflect.Method;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The entry point of Idem: runs {@code @Idempotent} methods and programmatic {@linkplain
 * IdempotentOperation operations} against the configured store. Thread-safe; create one per
 * application.
 *
 * <p>Plain Java applications bootstrap the woven aspect once, at startup:
 *
 * <pre>{@code
 * Idempotency.configure(IdempotencyConfig.builder().store(store).build());
 * }</pre>
 *
 * <p>Code without weaving uses {@link #operation(String, Class)} for the same semantics.
 *
 * <p>Methods are validated at their first call; {@link #validate(Class[])} validates them at
 * startup, and {@link #verifyWoven(Class[])} checks that ajc or the load-time weaver wove them (an
 * unwoven method runs unprotected, without any error).
 *
 * <p>Ownership: {@link #close()} closes the store only when the configuration says it belongs to
 * Idem ({@link IdempotencyConfig#closeStoreOnClose()}): the in-memory store Idem created, or a
 * store handed over with {@link IdempotencyConfig.Builder#closeStoreOnClose(boolean)}.
 */
public final class Idempotency implements AutoCloseable {

  private static volatile @Nullable Idempotency global;

  private final IdempotencyConfig config;
  private final Engine engine;
  private final Fingerprinter fingerprinter;
  private final @Nullable Supplier<@Nullable String> scopeSupplier;
  private final ConcurrentMap<Method, Object> methods = new ConcurrentHashMap<>();
  private final StoreErrorLog storeErrors = new StoreErrorLog();

  private Idempotency(IdempotencyConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    this.scopeSupplier = config.scopeSupplier().orElse(null);
    this.engine = new Engine(config);
    this.fingerprinter = new Fingerprinter(config.objectMapper());
  }

  /**
   * Creates an instance that is not installed globally (for dependency injection, tests, or several
   * configurations in one JVM).
   *
   * @param config the configuration
   * @return the instance
   */
  public static Idempotency of(IdempotencyConfig config) {
    return new Idempotency(config);
  }

  /**
   * Creates an instance and installs it as the one the woven aspect uses. Call once at startup,
   * before the first {@code @Idempotent} method runs; calling again replaces the instance (the
   * previous one is closed, and with it its store if the configuration {@linkplain
   * IdempotencyConfig#closeStoreOnClose() hands it to Idem} and the new instance does not use the
   * same store).
   *
   * @param config the configuration
   * @return the installed instance
   */
  public static Idempotency configure(IdempotencyConfig config) {
    Idempotency created = new Idempotency(config);
    Idempotency previous;
    synchronized (Idempotency.class) {
      previous = global;
      global = created;
    }
    if (previous != null) {
      previous.close(previous.config.store() != created.config.store());
    }
    return created;
  }

  /**
   * Returns the instance installed by {@link #configure(IdempotencyConfig)}.
   *
   * @return the installed instance
   * @throws IdempotencyConfigurationException if none is installed, saying what to call
   */
  public static Idempotency global() {
    Idempotency installed = global;
    if (installed == null) {
      throw IdempotencyConfigurationException.of(
          "Idem is not configured: an @Idempotent method was called before"
              + " Idempotency.configure(...). Call"
              + " Idempotency.configure(IdempotencyConfig.builder().store(...).build()) once at"
              + " startup (IdempotencyConfig.ofDefaults() for the in-memory store), or use the"
              + " Spring Boot starter, which configures it for you.");
    }
    return installed;
  }

  /**
   * Returns whether an instance is installed.
   *
   * @return true after {@link #configure(IdempotencyConfig)}
   */
  public static boolean isConfigured() {
    return global != null;
  }

  /**
   * Uninstalls and {@linkplain #close() closes} the global instance, if any; for tests and
   * shutdown.
   */
  public static void unconfigure() {
    Idempotency previous;
    synchronized (Idempotency.class) {
      previous = global;
      global = null;
    }
    if (previous != null) {
      previous.close();
    }
  }

  /**
   * Returns the configuration.
   *
   * @return the configuration
   */
  public IdempotencyConfig config() {
    return config;
  }

  /**
   * Returns the operator's view of this instance's records: find a key's record, delete a stuck
   * one. See {@link IdempotencyAdmin}.
   *
   * @return the admin view
   */
  public IdempotencyAdmin admin() {
    return new IdempotencyAdmin(config, engine, fingerprinter);
  }

  /**
   * Returns the fingerprint a call stores for a payload: the SHA-256, as 64 lowercase hex digits,
   * of the payload's canonical JSON (written by this instance's {@link
   * IdempotencyConfig#objectMapper()}, object keys sorted, numbers normalised). An
   * {@code @Idempotent} method's payload is its {@code payload} expression's value, or the array of
   * all its arguments by default; an operation's is the payload passed to {@link
   * IdempotentOperation#execute}. Compare it with {@link IdempotencyAdmin.RecordView#fingerprint()}
   * to tell whether a request is the one a record was made for, or to check that another client
   * computes the same fingerprint.
   *
   * @param payload the payload; null is a payload too (JSON {@code null})
   * @return the fingerprint
   * @throws IllegalArgumentException if the payload cannot be converted to JSON
   */
  public String fingerprint(@Nullable Object payload) {
    return fingerprinter.fingerprint(payload);
  }

  /**
   * Starts building a programmatic operation returning a plain class.
   *
   * @param name the stable operation name, part of every key
   * @param resultType the result class ({@code Void.class} for none)
   * @param <T> the result type
   * @return the builder
   */
  public <T> IdempotentOperation.Builder<T> operation(String name, Class<T> resultType) {
    return operation(name, ResultType.of(resultType));
  }

  /**
   * Starts building a programmatic operation returning a generic type.
   *
   * @param name the stable operation name, part of every key
   * @param resultType the result type, e.g. {@code new ResultType<List<Receipt>>() {}}
   * @param <T> the result type
   * @return the builder
   */
  public <T> IdempotentOperation.Builder<T> operation(String name, ResultType<T> resultType) {
    return IdempotentOperation.builder(this, engine, fingerprinter, name, resultType);
  }

  /**
   * Runs one call of an {@code @Idempotent} method; the entry point of the aspect and of proxy
   * integrations. Applications do not call it.
   *
   * @param method the annotated method
   * @param args the call's arguments
   * @param proceed runs the method's body
   * @return the body's result, or the replayed one
   * @throws Throwable what the body threw, a replayed exception, or an Idem exception
   */
  public @Nullable Object invoke(
      Method method, Object[] args, ThrowingSupplier<?, ? extends Throwable> proceed)
      throws Throwable {
    AnnotatedMethod annotated = annotated(method);
    String key =
        Keys.compose(
            config.keyPrefix(),
            annotated.spec().name(),
            currentScope(),
            annotated.keyValue(args, fingerprinter));
    String fingerprint = annotated.fingerprint(args, fingerprinter);
    try {
      return engine.execute(annotated.spec(), key, fingerprint, proceed);
    } catch (IdempotencyStoreException e) {
      storeErrors.log(annotated.spec().name(), key, e);
      throw e;
    }
  }

  /**
   * Validates an {@code @Idempotent} method now rather than at its first call: integrations call it
   * at startup so that a misconfigured method stops the application.
   *
   * @param method the annotated method
   * @throws IdempotencyConfigurationException naming the method if it is invalid
   */
  public void validate(Method method) {
    annotated(method);
  }

  /**
   * Validates every {@code @Idempotent} method of the given classes (and of their superclasses)
   * now, against this instance's configuration: key and payload expressions, parameter names,
   * policies, durations, {@code replayOn} types and return types, as each method's first call
   * would. Call it once at startup, after {@link #configure(IdempotencyConfig)}, with the classes
   * whose methods are annotated. It does not check weaving: see {@link #verifyWoven(Class[])}.
   *
   * @param classes the classes declaring {@code @Idempotent} methods
   * @throws IdempotencyConfigurationException listing every invalid method, and every class that
   *     declares no {@code @Idempotent} method
   */
  public void validate(Class<?>... classes) {
    Weaving.checkAnnotatedMethods(
        classes,
        method -> {
          try {
            annotated(method);
            return null;
          } catch (IdempotencyConfigurationException e) {
            return e.getMessage();
          }
        });
  }

  /**
   * Checks that every {@code @Idempotent} method of the given classes (and of their superclasses)
   * was woven by ajc (the {@code aspectj-maven-plugin}, in the {@code process-classes} phase) or by
   * the load-time weaver ({@code -javaagent:aspectjweaver.jar}). A class compiled by javac alone —
   * {@code mvn compile}, an IDE build that does not delegate to Maven — runs its annotated methods
   * unprotected, without any error: call this at startup, or {@code
   * IdempotencyAssertions.assertWoven(...)} from {@code idem-test} in a test. Classes advised by
   * Spring AOP proxies are not woven; the Spring Boot starter checks those itself.
   *
   * @param classes the classes declaring {@code @Idempotent} methods
   * @throws IdempotencyConfigurationException listing every method that was not woven, with how to
   *     weave it, and every class that declares no {@code @Idempotent} method
   */
  public static void verifyWoven(Class<?>... classes) {
    Weaving.checkAnnotatedMethods(classes, Weaving::problem);
  }

  private AnnotatedMethod annotated(Method method) {
    Object cached = methods.get(method);
    if (cached == null) {
      try {
        cached = AnnotatedMethod.of(method, config);
      } catch (IdempotencyConfigurationException e) {
        cached = e;
      }
      Object raced = methods.putIfAbsent(method, cached);
      if (raced != null) {
        cached = raced;
      }
    }
    if (cached instanceof IdempotencyConfigurationException e) {
      throw e;
    }
    return (AnnotatedMethod) cached;
  }

  @Nullable String currentScope() {
    return scopeSupplier == null ? null : scopeSupplier.get();
  }

  /**
   * Stops this instance's background threads and, when the configuration {@linkplain
   * IdempotencyConfig#closeStoreOnClose() hands the store to Idem}, closes the store. A store the
   * application passed in without {@code closeStoreOnClose(true)} is left open for the application
   * to close.
   */
  @Override
  public void close() {
    close(true);
  }

  private void close(boolean closeStore) {
    engine.close();
    if (closeStore && config.closeStoreOnClose()) {
      config.store().close();
    }
  }

  void storeFailed(String operation, String key, IdempotencyStoreException e) {
    storeErrors.log(operation, key, e);
  }

  @SuppressWarnings("unchecked")
  static <E extends Throwable> E sneakyThrow(Throwable t) throws E {
    throw (E) t;
  }
}

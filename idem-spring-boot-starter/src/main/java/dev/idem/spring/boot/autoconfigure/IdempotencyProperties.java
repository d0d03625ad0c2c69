package dev.idem.spring.boot.autoconfigure;

import dev.idem.IdempotencyPolicy;
import dev.idem.PolicyAttributes;
import dev.idem.annotation.OnInProgress;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.util.unit.DataSize;

/**
 * The {@code idem.*} configuration properties of the Idem Spring Boot starter.
 *
 * <pre>
 * idem.store=jdbc
 * idem.jdbc.transactional=true
 * idem.defaults.ttl=24h
 * idem.policies.payments.on-in-progress=reject
 * idem.policies.payments.lease=1m
 * </pre>
 */
@ConfigurationProperties(prefix = "idem")
public class IdempotencyProperties {

  /** Whether Idem is auto-configured at all. */
  private boolean enabled = true;

  /** Where records are kept: memory (one JVM), jdbc (the application's DataSource) or redis. */
  private StoreType store = StoreType.MEMORY;

  /** Prefix of every key, to separate applications that share a store. */
  private String keyPrefix = "idem";

  /** Identity of this node stored with its claims, for diagnostics (default pid@hostname). */
  private @Nullable String owner;

  /** Results encoded to more than this are not stored (retries get a replay-unavailable error). */
  private DataSize maxResultSize = DataSize.ofMegabytes(1);

  /** What the key is scoped by, besides the operation: nothing, or the authenticated principal. */
  private Scope scope = Scope.NONE;

  /**
   * Whether the @Idempotent methods of beans are validated at startup (@IdempotentEndpoint handlers
   * always are, when their operations are built).
   */
  private boolean validateOnStartup = true;

  /** The default policy: applies where a method and its named policy leave a setting unset. */
  @NestedConfigurationProperty
  private Policy defaults = new Policy(null, null, null, null, null, null, null);

  /** Named policies, referred to by @Idempotent(policy = "name"). */
  private Map<String, Policy> policies = new LinkedHashMap<>();

  @NestedConfigurationProperty private final WaitPolling waitPolling = new WaitPolling();
  @NestedConfigurationProperty private final Aop aop = new Aop();
  @NestedConfigurationProperty private final Memory memory = new Memory();
  @NestedConfigurationProperty private final Jdbc jdbc = new Jdbc();
  @NestedConfigurationProperty private final Redis redis = new Redis();
  @NestedConfigurationProperty private final NearCache nearCache = new NearCache();
  @NestedConfigurationProperty private final Metrics metrics = new Metrics();
  @NestedConfigurationProperty private final Purge purge = new Purge();
  @NestedConfigurationProperty private final Web web = new Web();
  @NestedConfigurationProperty private final Admin admin = new Admin();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public StoreType getStore() {
    return store;
  }

  public void setStore(StoreType store) {
    this.store = store;
  }

  public String getKeyPrefix() {
    return keyPrefix;
  }

  public void setKeyPrefix(String keyPrefix) {
    this.keyPrefix = keyPrefix;
  }

  public @Nullable String getOwner() {
    return owner;
  }

  public void setOwner(@Nullable String owner) {
    this.owner = owner;
  }

  public DataSize getMaxResultSize() {
    return maxResultSize;
  }

  public void setMaxResultSize(DataSize maxResultSize) {
    this.maxResultSize = maxResultSize;
  }

  public Scope getScope() {
    return scope;
  }

  public void setScope(Scope scope) {
    this.scope = scope;
  }

  public boolean isValidateOnStartup() {
    return validateOnStartup;
  }

  public void setValidateOnStartup(boolean validateOnStartup) {
    this.validateOnStartup = validateOnStartup;
  }

  public Policy getDefaults() {
    return defaults;
  }

  public void setDefaults(Policy defaults) {
    this.defaults = defaults;
  }

  public Map<String, Policy> getPolicies() {
    return policies;
  }

  public void setPolicies(Map<String, Policy> policies) {
    this.policies = policies;
  }

  public WaitPolling getWaitPolling() {
    return waitPolling;
  }

  public Aop getAop() {
    return aop;
  }

  public Memory getMemory() {
    return memory;
  }

  public Jdbc getJdbc() {
    return jdbc;
  }

  public Redis getRedis() {
    return redis;
  }

  public NearCache getNearCache() {
    return nearCache;
  }

  public Metrics getMetrics() {
    return metrics;
  }

  public Purge getPurge() {
    return purge;
  }

  public Web getWeb() {
    return web;
  }

  public Admin getAdmin() {
    return admin;
  }

  /** The store types. */
  public enum StoreType {
    /** The in-memory store: one JVM; for tests, samples and single-instance applications. */
    MEMORY,
    /** The SQL store on the application's DataSource (PostgreSQL, MariaDB, MySQL, H2). */
    JDBC,
    /**
     * The Redis store on the application's client (a RedissonClient, else Spring Data Redis's
     * Lettuce connection factory or a Lettuce client), or on idem.redis.url.
     */
    REDIS
  }

  /** What keys are scoped by. */
  public enum Scope {
    /** No scope: the key expression alone identifies the call (unless an IdempotencyScope bean). */
    NONE,
    /**
     * The authenticated principal's name: Spring Security's authentication if present, else the
     * servlet request's user principal. Calls without one are unscoped.
     */
    PRINCIPAL
  }

  /** How the Idem advice is applied. */
  public enum AopMode {
    /** Spring AOP proxies: the Idem advisor is registered as a bean. */
    PROXY,
    /**
     * AspectJ weaving (ajc at compile time, or the load-time weaver): no advisor is registered and
     * the woven aspect uses the instance the starter installs globally. Self-invocation works.
     */
    ASPECTJ
  }

  /** When the SQL store creates its table. */
  public enum SchemaInitialization {
    /** Only on an embedded database (H2). */
    EMBEDDED,
    /** Always (create if missing). */
    ALWAYS,
    /** Never: the schema is managed by migrations (the store ships its DDL). */
    NEVER
  }

  /**
   * A policy: every setting is optional and inherited when unset.
   *
   * @param ttl How long a completed result is kept and replayed.
   * @param lease How long a claim stays exclusive without renewal; a crashed call is taken over
   *     after it.
   * @param onInProgress What a duplicate does while the first call runs: wait or reject (HTTP 409).
   * @param waitTimeout The longest a waiting duplicate blocks.
   * @param replayOn Exception types stored and replayed as outcomes instead of releasing the key.
   * @param failOpen Whether the body runs unprotected when the store is unreachable at claim time.
   * @param nearCache Whether replays may be served from the near cache (idem.near-cache.enabled).
   */
  public record Policy(
      @Nullable Duration ttl,
      @Nullable Duration lease,
      @Nullable OnInProgress onInProgress,
      @Nullable Duration waitTimeout,
      @Nullable List<Class<? extends Throwable>> replayOn,
      @Nullable Boolean failOpen,
      @Nullable Boolean nearCache) {

    /**
     * Converts the properties to a policy.
     *
     * @param where the property prefix, for messages
     * @return the policy
     * @throws IllegalArgumentException naming the property if a value is invalid
     */
    IdempotencyPolicy toPolicy(String where) {
      try {
        return PolicyAttributes.create()
            .ttl(ttl)
            .lease(lease)
            .onInProgress(onInProgress)
            .waitTimeout(waitTimeout)
            .replayOn(replayOn)
            .failOpen(failOpen)
            .nearCache(nearCache)
            .toPolicy();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid " + where + ": " + e.getMessage(), e);
      }
    }
  }

  /** How a waiting duplicate polls stores that cannot notify it. */
  public static class WaitPolling {
    /** The first poll interval. */
    private Duration initial = Duration.ofMillis(10);

    /** The longest poll interval (intervals double up to it). */
    private Duration max = Duration.ofMillis(500);

    public Duration getInitial() {
      return initial;
    }

    public void setInitial(Duration initial) {
      this.initial = initial;
    }

    public Duration getMax() {
      return max;
    }

    public void setMax(Duration max) {
      this.max = max;
    }
  }

  /** Spring AOP settings. */
  public static class Aop {
    /** Proxy (Spring AOP advisor) or aspectj (ajc or load-time weaving; no advisor). */
    private AopMode mode = AopMode.PROXY;

    /**
     * Order of the Idem advisor. Unset: inside @Transactional with the transactional SQL store,
     * around it otherwise. Set: used as is, and the transaction advisor is not touched.
     */
    private @Nullable Integer order;

    public AopMode getMode() {
      return mode;
    }

    public void setMode(AopMode mode) {
      this.mode = mode;
    }

    public @Nullable Integer getOrder() {
      return order;
    }

    public void setOrder(@Nullable Integer order) {
      this.order = order;
    }
  }

  /** The in-memory store. */
  public static class Memory {
    /** The most records kept; beyond it the least recently used are evicted. */
    private @Nullable Long maximumSize;

    public @Nullable Long getMaximumSize() {
      return maximumSize;
    }

    public void setMaximumSize(@Nullable Long maximumSize) {
      this.maximumSize = maximumSize;
    }
  }

  /** The SQL store on the application's DataSource. */
  public static class Jdbc {
    /** The records table, [schema.]table; rendered quoted, so case-sensitive. */
    private String tableName = "idem_records";

    /**
     * Whether claims made in a Spring transaction join it: the claim, the method's writes and the
     * completion commit or roll back together (exactly-once effect for database work).
     */
    private boolean transactional = false;

    /** How long a transactional claim waits for the transaction holding the same key. */
    private @Nullable Duration lockTimeout;

    /**
     * The jOOQ dialect (POSTGRES, MARIADB, MYSQL, H2); detected from the application's DSLContext
     * or the connection if unset.
     */
    private @Nullable String dialect;

    /** When the table is created if missing. */
    private SchemaInitialization initializeSchema = SchemaInitialization.EMBEDDED;

    public String getTableName() {
      return tableName;
    }

    public void setTableName(String tableName) {
      this.tableName = tableName;
    }

    public boolean isTransactional() {
      return transactional;
    }

    public void setTransactional(boolean transactional) {
      this.transactional = transactional;
    }

    public @Nullable Duration getLockTimeout() {
      return lockTimeout;
    }

    public void setLockTimeout(@Nullable Duration lockTimeout) {
      this.lockTimeout = lockTimeout;
    }

    public @Nullable String getDialect() {
      return dialect;
    }

    public void setDialect(@Nullable String dialect) {
      this.dialect = dialect;
    }

    public SchemaInitialization getInitializeSchema() {
      return initializeSchema;
    }

    public void setInitializeSchema(SchemaInitialization initializeSchema) {
      this.initializeSchema = initializeSchema;
    }
  }

  /** The Redis store. */
  public static class Redis {
    /**
     * A server URL (redis://host:port) for a client of Idem's own, when the application has no
     * Redisson or Lettuce client.
     */
    private @Nullable String url;

    /** Prefix of the Redis keys of records. */
    private String keyPrefix = "idem:";

    /**
     * Response timeout of the client Idem creates from the URL; on the application's Lettuce
     * client, how long a store call waits for its reply (default: the client's command timeout).
     */
    private @Nullable Duration timeout;

    public @Nullable String getUrl() {
      return url;
    }

    public void setUrl(@Nullable String url) {
      this.url = url;
    }

    public String getKeyPrefix() {
      return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
    }

    public @Nullable Duration getTimeout() {
      return timeout;
    }

    public void setTimeout(@Nullable Duration timeout) {
      this.timeout = timeout;
    }
  }

  /** The near cache of completed records, in front of a remote store. */
  public static class NearCache {
    /** Whether completed records are cached in this JVM (safe: they never change). */
    private boolean enabled = false;

    /** The most records cached. */
    private long maximumSize = 10_000;

    /** How long a record stays cached (never beyond its own expiry). */
    private Duration ttl = Duration.ofMinutes(5);

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public long getMaximumSize() {
      return maximumSize;
    }

    public void setMaximumSize(long maximumSize) {
      this.maximumSize = maximumSize;
    }

    public Duration getTtl() {
      return ttl;
    }

    public void setTtl(Duration ttl) {
      this.ttl = ttl;
    }
  }

  /** Micrometer metrics. */
  public static class Metrics {
    /** Whether Idem records metrics in the application's MeterRegistry. */
    private boolean enabled = true;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }

  /** The purge of expired records, for stores that need one (SQL). */
  public static class Purge {
    /** Whether expired records are deleted periodically. */
    private boolean enabled = true;

    /** The time between two purges. */
    private Duration interval = Duration.ofMinutes(5);

    /** The most records deleted by one statement. */
    private int batchSize = 1000;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public Duration getInterval() {
      return interval;
    }

    public void setInterval(Duration interval) {
      this.interval = interval;
    }

    public int getBatchSize() {
      return batchSize;
    }

    public void setBatchSize(int batchSize) {
      this.batchSize = batchSize;
    }
  }

  /** The Idempotency-Key header support for Spring MVC. */
  public static class Web {
    /** Whether @IdempotentEndpoint handlers are served by the Idempotency-Key filter. */
    private boolean enabled = true;

    /** The request header holding the key. */
    private String keyHeader = "Idempotency-Key";

    /** The response header set to "true" on replayed responses. */
    private String replayedHeader = "Idempotent-Replayed";

    /** The largest request body an idempotent endpoint accepts (it is read to fingerprint it). */
    private DataSize maxBodySize = DataSize.ofMegabytes(1);

    /**
     * The filter's order: after Spring Security's filter chain (-100), so the principal is known.
     */
    private int filterOrder = 0;

    /** The longest Idempotency-Key accepted, in characters; longer keys get a 400 problem. */
    private int maxKeyLength = 255;

    /**
     * What a request does while another with the same key is being processed, unless its endpoint
     * or named policy says: "reject" (409 with Retry-After, as the IETF draft requires) or "wait".
     */
    private OnInProgress onInProgress = OnInProgress.REJECT;

    /**
     * The page documenting the application's idempotency keys (format, expiry policy, errors):
     * problem types become URL#slug and problems carry Link: <URL>; rel="describedby".
     */
    private URI documentationUrl;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getKeyHeader() {
      return keyHeader;
    }

    public void setKeyHeader(String keyHeader) {
      this.keyHeader = keyHeader;
    }

    public String getReplayedHeader() {
      return replayedHeader;
    }

    public void setReplayedHeader(String replayedHeader) {
      this.replayedHeader = replayedHeader;
    }

    public DataSize getMaxBodySize() {
      return maxBodySize;
    }

    public void setMaxBodySize(DataSize maxBodySize) {
      this.maxBodySize = maxBodySize;
    }

    public int getFilterOrder() {
      return filterOrder;
    }

    public void setFilterOrder(int filterOrder) {
      this.filterOrder = filterOrder;
    }

    public int getMaxKeyLength() {
      return maxKeyLength;
    }

    public void setMaxKeyLength(int maxKeyLength) {
      this.maxKeyLength = maxKeyLength;
    }

    public OnInProgress getOnInProgress() {
      return onInProgress;
    }

    public void setOnInProgress(OnInProgress onInProgress) {
      this.onInProgress = onInProgress;
    }

    public URI getDocumentationUrl() {
      return documentationUrl;
    }

    public void setDocumentationUrl(URI documentationUrl) {
      this.documentationUrl = documentationUrl;
    }
  }

  /** The Actuator endpoint {@code /actuator/idempotency}. */
  public static class Admin {
    /**
     * Whether the endpoint shows a record's stored outcome (the replayed body, which may hold
     * customer data); by default only its kind and size.
     */
    private boolean showBody;

    public boolean isShowBody() {
      return showBody;
    }

    public void setShowBody(boolean showBody) {
      this.showBody = showBody;
    }
  }
}

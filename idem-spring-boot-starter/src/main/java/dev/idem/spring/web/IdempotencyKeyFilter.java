package dev.idem.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idem.IdempotencyException;
import dev.idem.IdempotencyInProgressException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.Jackson2ObjectMapperBuilder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Runs requests for {@link IdempotentEndpoint} handlers through their {@link
 * dev.idem.IdempotentOperation}, keyed by the {@code Idempotency-Key} request header, following the
 * IETF draft "The Idempotency-Key HTTP Header Field". See {@link IdempotentEndpoint} for the
 * responses. Requests for other handlers pass through untouched, after one handler lookup.
 *
 * <p><b>Key.</b> The header value is an RFC 8941 Structured Field string ({@code "8e03978e-..."},
 * as the draft specifies; parameters such as {@code "k";v=1} are accepted and ignored) or, as a
 * lenient extension, a bare token such as an unquoted UUID. Anything outside printable ASCII, a
 * repeated header, a blank key or one longer than the limit gets a 400 problem. The stored key is
 * scoped by the operation, by the configured {@link dev.idem.spring.IdempotencyScope} and by the
 * authenticated principal when there is one: its value is the JSON array {@code [principal, key]}.
 *
 * <p><b>Fingerprint.</b> The request's method, path, query string and body: a JSON body as its
 * canonical form (key order and white space do not matter), a form as its parameters, any other
 * body as its SHA-256. The body is read up front (at most {@code maxBodyBytes}, else 413) and
 * served again to the handler.
 *
 * <p><b>Responses.</b> The handler's response is buffered, stored and then sent; a replay sends the
 * stored status, {@code Content-Type}, headers (all but hop-by-hop, {@code Date}, {@code
 * Content-Length}, {@code Set-Cookie} and CORS headers) and body, with the replay header ({@code
 * Idempotent-Replayed: true}). Errors are {@code application/problem+json} ({@link ProblemDetail}),
 * with {@code Retry-After} on 409.
 *
 * <p>Place it after authentication (Spring Security's filter chain), so that the principal is
 * known.
 */
public final class IdempotencyKeyFilter extends OncePerRequestFilter {

  /** The request header of the IETF draft. */
  public static final String DEFAULT_KEY_HEADER = "Idempotency-Key";

  /** The response header that marks a replayed response. */
  public static final String DEFAULT_REPLAYED_HEADER = "Idempotent-Replayed";

  /**
   * The request attribute holding the parsed key (without the Structured Field quotes), for
   * handlers that derive stable identifiers from it: {@code @RequestAttribute(KEY_ATTRIBUTE)}.
   */
  public static final String KEY_ATTRIBUTE = "dev.idem.spring.web.IdempotencyKey";

  /** The default limit on a request body read for its fingerprint: 1 MiB. */
  public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;

  private static final Set<String> NOT_REPLAYED =
      Set.of(
          "date",
          "content-length",
          "content-type",
          "transfer-encoding",
          "connection",
          "keep-alive",
          "proxy-connection",
          "te",
          "trailer",
          "upgrade",
          "set-cookie",
          "set-cookie2",
          "vary");

  private static final Set<Integer> RETRYABLE_CLIENT_ERRORS = Set.of(408, 425, 429);

  /** The default limit on the length of a key, in characters. */
  public static final int DEFAULT_MAX_KEY_LENGTH = 255;

  private final IdempotentEndpoints endpoints;
  private final ObjectMapper json;
  private final ObjectMapper problemMapper;
  private final Problems problems;
  private final String keyHeader;
  private final String replayedHeader;
  private final int maxBodyBytes;
  private final int maxKeyLength;

  /**
   * Creates the filter with the default headers and limits.
   *
   * @param endpoints the application's idempotent endpoints
   * @param json the mapper that parses JSON bodies for their fingerprint
   */
  public IdempotencyKeyFilter(IdempotentEndpoints endpoints, ObjectMapper json) {
    this(builder(endpoints, json));
  }

  private IdempotencyKeyFilter(Builder builder) {
    this.endpoints = builder.endpoints;
    this.json = builder.json;
    this.keyHeader = builder.keyHeader;
    this.replayedHeader = builder.replayedHeader;
    this.maxBodyBytes = builder.maxBodyBytes;
    this.maxKeyLength = builder.maxKeyLength;
    this.problems = new Problems(builder.documentation);
    this.problemMapper = Jackson2ObjectMapperBuilder.json().build();
  }

  /**
   * Returns a builder of the filter.
   *
   * @param endpoints the application's idempotent endpoints
   * @param json the mapper that parses JSON bodies for their fingerprint
   * @return the builder
   */
  public static Builder builder(IdempotentEndpoints endpoints, ObjectMapper json) {
    return new Builder(endpoints, json);
  }

  /** Builds an {@link IdempotencyKeyFilter}; every setting has a default. */
  public static final class Builder {
    private final IdempotentEndpoints endpoints;
    private final ObjectMapper json;
    private String keyHeader = DEFAULT_KEY_HEADER;
    private String replayedHeader = DEFAULT_REPLAYED_HEADER;
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private int maxKeyLength = DEFAULT_MAX_KEY_LENGTH;
    private @Nullable URI documentation;

    private Builder(IdempotentEndpoints endpoints, ObjectMapper json) {
      this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
      this.json = Objects.requireNonNull(json, "json");
    }

    /**
     * Sets the request header holding the key.
     *
     * @param keyHeader a header name; {@value #DEFAULT_KEY_HEADER} by default
     * @return this builder
     */
    public Builder keyHeader(String keyHeader) {
      this.keyHeader = requireToken(keyHeader, "keyHeader");
      return this;
    }

    /**
     * Sets the response header set to {@code true} on replays.
     *
     * @param replayedHeader a header name; {@value #DEFAULT_REPLAYED_HEADER} by default
     * @return this builder
     */
    public Builder replayedHeader(String replayedHeader) {
      this.replayedHeader = requireToken(replayedHeader, "replayedHeader");
      return this;
    }

    /**
     * Sets the largest request body accepted on an idempotent endpoint; larger ones get 413.
     *
     * @param maxBodyBytes positive; 1 MiB by default
     * @return this builder
     */
    public Builder maxBodyBytes(int maxBodyBytes) {
      if (maxBodyBytes <= 0) {
        throw new IllegalArgumentException("maxBodyBytes must be positive: " + maxBodyBytes);
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /**
     * Sets the longest key accepted, in characters; longer ones get a 400 problem. The servlet
     * container refuses headers over its own limit (Tomcat: {@code
     * server.max-http-request-header-size}, 8 KB) before any filter runs.
     *
     * @param maxKeyLength positive; {@value #DEFAULT_MAX_KEY_LENGTH} by default
     * @return this builder
     */
    public Builder maxKeyLength(int maxKeyLength) {
      if (maxKeyLength <= 0) {
        throw new IllegalArgumentException("maxKeyLength must be positive: " + maxKeyLength);
      }
      this.maxKeyLength = maxKeyLength;
      return this;
    }

    /**
     * Sets the page that documents the application's idempotency keys (their format, expiry policy
     * and errors), as the IETF draft asks. Problems then have the type {@code
     * <documentation>#<slug>} and a {@code Link: <documentation>; rel="describedby"} header;
     * without it their type is {@code urn:idem:problem:<slug>}.
     *
     * @param documentation an absolute URI, or null for none
     * @return this builder
     */
    public Builder documentation(@Nullable URI documentation) {
      if (documentation != null && !documentation.isAbsolute()) {
        throw new IllegalArgumentException(
            "the documentation URL must be absolute: " + documentation);
      }
      this.documentation = documentation;
      return this;
    }

    /**
     * Builds the filter.
     *
     * @return the filter
     */
    public IdempotencyKeyFilter build() {
      return new IdempotencyKeyFilter(this);
    }
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    IdempotentEndpoints.Endpoint endpoint = endpoints.find(request);
    if (endpoint == null) {
      chain.doFilter(request, response);
      return;
    }
    String key;
    try {
      key = key(request);
    } catch (IdempotencyKeyHeader.Malformed e) {
      writeProblem(
          request,
          response,
          Problems.Type.KEY_INVALID,
          HttpStatus.BAD_REQUEST.value(),
          e.getMessage(),
          endpoint.name(),
          null);
      return;
    }
    if (key == null) {
      if (endpoint.required()) {
        writeProblem(
            request,
            response,
            Problems.Type.KEY_MISSING,
            HttpStatus.BAD_REQUEST.value(),
            "This request requires the " + keyHeader + " header",
            endpoint.name(),
            null);
      } else {
        chain.doFilter(request, response);
      }
      return;
    }
    HttpServletRequest forwarded = request;
    Object body;
    if (isForm(request)) {
      body = parameters(request);
    } else if (isMultipart(request)) {
      body = parts(request);
    } else {
      byte[] bytes = readBody(request);
      if (bytes == null) {
        writeProblem(
            request,
            response,
            Problems.Type.BODY_TOO_LARGE,
            413,
            "The body of an idempotent request may have at most " + maxBodyBytes + " bytes",
            endpoint.name(),
            null);
        return;
      }
      forwarded = new CachedBodyRequest(request, bytes);
      body = bodyFingerprint(request, bytes);
    }
    Map<String, @Nullable Object> payload = new LinkedHashMap<>();
    payload.put("method", request.getMethod());
    payload.put("path", request.getRequestURI());
    payload.put("query", request.getQueryString());
    payload.put("body", body);
    forwarded.setAttribute(KEY_ATTRIBUTE, key);
    Principal principal = request.getUserPrincipal();
    List<@Nullable String> scopedKey =
        IdempotentEndpoints.keyValue(principal == null ? null : principal.getName(), key);
    run(endpoint, scopedKey, payload, forwarded, request, response, chain);
  }

  private void run(
      IdempotentEndpoints.Endpoint endpoint,
      Object key,
      Object payload,
      HttpServletRequest forwarded,
      HttpServletRequest request,
      HttpServletResponse response,
      FilterChain chain)
      throws ServletException, IOException {
    CapturingResponse capture = new CapturingResponse(response);
    boolean[] ran = {false};
    CapturedResponse result;
    try {
      result =
          endpoint
              .operation()
              .execute(
                  key,
                  payload,
                  () -> {
                    ran[0] = true;
                    chain.doFilter(forwarded, capture);
                    if (forwarded.isAsyncStarted()) {
                      throw new IllegalStateException(
                          "@IdempotentEndpoint "
                              + endpoint.name()
                              + " started asynchronous processing; its response cannot be stored");
                    }
                    CapturedResponse captured = capture(capture);
                    if (!storable(forwarded, capture, captured)) {
                      throw NotStored.INSTANCE;
                    }
                    return captured;
                  });
    } catch (NotStored e) {
      capture.copyBodyToResponse();
      return;
    } catch (IdempotencyException e) {
      if (ran[0]) {
        throw e;
      }
      Duration retryAfter =
          e instanceof IdempotencyInProgressException inProgress
              ? Objects.requireNonNullElse(inProgress.retryAfter(), Duration.ofSeconds(1))
              : null;
      writeProblem(
          request,
          response,
          Problems.typeOf(e),
          e.httpStatus(),
          Problems.detail(e),
          e.operation(),
          retryAfter);
      return;
    } catch (IOException | ServletException | RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new ServletException(e);
    }
    if (ran[0]) {
      capture.copyBodyToResponse();
    } else {
      replay(result, response);
    }
  }

  private @Nullable String key(HttpServletRequest request) throws IdempotencyKeyHeader.Malformed {
    List<String> values = Collections.list(request.getHeaders(keyHeader));
    if (values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw new IdempotencyKeyHeader.Malformed(
          "the " + keyHeader + " header is repeated; send it once");
    }
    return IdempotencyKeyHeader.parse(keyHeader, values.get(0), maxKeyLength);
  }

  private @Nullable byte[] readBody(HttpServletRequest request) throws IOException {
    long declared = request.getContentLengthLong();
    if (declared > maxBodyBytes) {
      return null;
    }
    try (InputStream in = request.getInputStream()) {
      byte[] bytes = in.readNBytes(maxBodyBytes + 1);
      return bytes.length > maxBodyBytes ? null : bytes;
    }
  }

  private Object bodyFingerprint(HttpServletRequest request, byte[] bytes) {
    if (bytes.length == 0) {
      return "";
    }
    if (isJson(request)) {
      try {
        JsonNode tree = json.readTree(bytes);
        if (tree != null) {
          return tree;
        }
      } catch (IOException e) {
        // not JSON after all: fingerprint the bytes; the handler will answer the bad request
      }
    }
    return "sha256:" + sha256(bytes);
  }

  private static Map<String, List<String>> parameters(HttpServletRequest request) {
    Map<String, List<String>> parameters = new TreeMap<>();
    request.getParameterMap().forEach((k, v) -> parameters.put(k, Arrays.asList(v)));
    return parameters;
  }

  private static Object parts(HttpServletRequest request) throws IOException {
    List<String> parts = new ArrayList<>();
    try {
      for (Part part : request.getParts()) {
        try (InputStream in = part.getInputStream()) {
          parts.add(
              part.getName()
                  + "|"
                  + Objects.requireNonNullElse(part.getSubmittedFileName(), "")
                  + "|"
                  + sha256(in.readAllBytes()));
        }
      }
    } catch (ServletException | IllegalStateException e) {
      return "unreadable multipart body";
    }
    Collections.sort(parts);
    return parts;
  }

  private static CapturedResponse capture(CapturingResponse response) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : response.getHeaderNames()) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (NOT_REPLAYED.contains(lower) || lower.startsWith("access-control-")) {
        continue;
      }
      headers.putIfAbsent(name, List.copyOf(response.getHeaders(name)));
    }
    return new CapturedResponse(
        response.getStatus(), response.getContentType(), headers, response.getContentAsByteArray());
  }

  private static boolean storable(
      HttpServletRequest request, CapturingResponse response, CapturedResponse captured) {
    int status = captured.status();
    return !response.errorSent()
        && status < 500
        && !RETRYABLE_CLIENT_ERRORS.contains(status)
        && request.getAttribute(Problems.HANDLED_ATTRIBUTE) == null;
  }

  private void replay(CapturedResponse stored, HttpServletResponse response) throws IOException {
    response.setStatus(stored.status());
    if (stored.contentType() != null) {
      response.setContentType(stored.contentType());
    }
    stored
        .headers()
        .forEach(
            (name, values) -> {
              for (int i = 0; i < values.size(); i++) {
                if (i == 0) {
                  response.setHeader(name, values.get(i));
                } else {
                  response.addHeader(name, values.get(i));
                }
              }
            });
    response.setHeader(replayedHeader, "true");
    byte[] body = stored.body();
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
    response.flushBuffer();
  }

  private void writeProblem(
      HttpServletRequest request,
      HttpServletResponse response,
      Problems.Type type,
      int status,
      String detail,
      @Nullable String operation,
      @Nullable Duration retryAfter)
      throws IOException {
    ProblemDetail problem = problems.of(request, type, status, detail, operation);
    response.resetBuffer();
    response.setStatus(status);
    if (retryAfter != null) {
      response.setHeader("Retry-After", Problems.retryAfterSeconds(retryAfter));
    }
    String link = problems.link();
    if (link != null) {
      response.setHeader("Link", link);
    }
    response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
    byte[] bytes = problemMapper.writeValueAsBytes(problem);
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
    response.flushBuffer();
  }

  private static boolean isJson(HttpServletRequest request) {
    MediaType type = mediaType(request);
    return type != null
        && (MediaType.APPLICATION_JSON.isCompatibleWith(type)
            || (type.getSubtypeSuffix() != null && type.getSubtypeSuffix().equals("json")));
  }

  private static boolean isForm(HttpServletRequest request) {
    MediaType type = mediaType(request);
    return type != null && MediaType.APPLICATION_FORM_URLENCODED.includes(type);
  }

  private static boolean isMultipart(HttpServletRequest request) {
    MediaType type = mediaType(request);
    return type != null && type.getType().equals("multipart");
  }

  private static @Nullable MediaType mediaType(HttpServletRequest request) {
    String contentType = request.getContentType();
    if (contentType == null) {
      return null;
    }
    try {
      return MediaType.parseMediaType(contentType);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  private static String requireToken(String header, String what) {
    if (Objects.requireNonNull(header, what).isBlank()
        || !header
            .chars()
            .allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0)) {
      throw new IllegalArgumentException(what + " is not a valid header name: " + header);
    }
    return header;
  }

  /** Thrown by the body to release the key for a response that must not be replayed. */
  private static final class NotStored extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final NotStored INSTANCE = new NotStored();

    private NotStored() {
      super("response not stored", null, false, false);
    }
  }
}

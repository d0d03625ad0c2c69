package dev.idem.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idem.IdempotencyException;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyKeyException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
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
 * <p><b>Key.</b> The header value is a Structured Field string ({@code "8e03978e-..."}, as the
 * draft specifies) or, leniently, a bare token. The stored key is {@code
 * prefix:operation[:scope]:[principal,key]}: scoped by the operation, by the configured {@link
 * dev.idem.spring.IdempotencyScope} and by the authenticated principal when there is one.
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

  private final IdempotentEndpoints endpoints;
  private final ObjectMapper json;
  private final ObjectMapper problems;
  private final String keyHeader;
  private final String replayedHeader;
  private final int maxBodyBytes;

  /**
   * Creates the filter with the default headers and body limit.
   *
   * @param endpoints the application's idempotent endpoints
   * @param json the mapper that parses JSON bodies for their fingerprint
   */
  public IdempotencyKeyFilter(IdempotentEndpoints endpoints, ObjectMapper json) {
    this(endpoints, json, DEFAULT_KEY_HEADER, DEFAULT_REPLAYED_HEADER, DEFAULT_MAX_BODY_BYTES);
  }

  /**
   * Creates the filter.
   *
   * @param endpoints the application's idempotent endpoints
   * @param json the mapper that parses JSON bodies for their fingerprint
   * @param keyHeader the request header holding the key
   * @param replayedHeader the response header set to {@code true} on replays
   * @param maxBodyBytes the largest request body accepted on an idempotent endpoint
   */
  public IdempotencyKeyFilter(
      IdempotentEndpoints endpoints,
      ObjectMapper json,
      String keyHeader,
      String replayedHeader,
      int maxBodyBytes) {
    this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
    this.json = Objects.requireNonNull(json, "json");
    this.keyHeader = requireToken(keyHeader, "keyHeader");
    this.replayedHeader = requireToken(replayedHeader, "replayedHeader");
    if (maxBodyBytes <= 0) {
      throw new IllegalArgumentException("maxBodyBytes must be positive: " + maxBodyBytes);
    }
    this.maxBodyBytes = maxBodyBytes;
    this.problems = Jackson2ObjectMapperBuilder.json().build();
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
      key = key(request, endpoint.name());
    } catch (IdempotencyKeyException e) {
      writeProblem(request, response, e.httpStatus(), e.getMessage(), e.operation(), null);
      return;
    }
    if (key == null) {
      if (endpoint.required()) {
        writeProblem(
            request,
            response,
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
        Arrays.asList(principal == null ? null : principal.getName(), key);
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
          request, response, e.httpStatus(), Problems.detail(e), e.operation(), retryAfter);
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

  private @Nullable String key(HttpServletRequest request, String operation) {
    List<String> values = Collections.list(request.getHeaders(keyHeader));
    if (values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw IdempotencyKeyException.invalid(operation, "the " + keyHeader + " header is repeated");
    }
    return parseKey(values.get(0), operation, keyHeader);
  }

  /**
   * Parses the header value: a Structured Field string, or a bare token.
   *
   * @throws IdempotencyKeyException if it is blank or malformed
   */
  static String parseKey(String raw, String operation, String header) {
    String value = raw.strip();
    if (value.startsWith("\"")) {
      StringBuilder key = new StringBuilder(value.length());
      int i = 1;
      for (; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c == '\\') {
          if (i + 1 >= value.length()
              || (value.charAt(i + 1) != '"' && value.charAt(i + 1) != '\\')) {
            throw IdempotencyKeyException.invalid(
                operation, "the " + header + " header is not a valid structured string");
          }
          key.append(value.charAt(++i));
        } else if (c == '"') {
          break;
        } else {
          key.append(c);
        }
      }
      if (i != value.length() - 1) {
        throw IdempotencyKeyException.invalid(
            operation, "the " + header + " header is not a valid structured string");
      }
      value = key.toString();
    }
    if (value.isBlank()) {
      throw IdempotencyKeyException.invalid(operation, "the " + header + " header is blank");
    }
    return value;
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
      int status,
      String detail,
      @Nullable String operation,
      @Nullable Duration retryAfter)
      throws IOException {
    ProblemDetail problem = Problems.of(request, status, detail, operation);
    response.resetBuffer();
    response.setStatus(status);
    if (retryAfter != null) {
      response.setHeader("Retry-After", Problems.retryAfterSeconds(retryAfter));
    }
    response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
    byte[] bytes = problems.writeValueAsBytes(problem);
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

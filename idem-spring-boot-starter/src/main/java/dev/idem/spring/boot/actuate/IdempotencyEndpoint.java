package dev.idem.spring.boot.actuate;

import dev.idem.IdempotencyAdmin;
import dev.idem.IdempotencyAdmin.RecordView;
import dev.idem.IdempotencyKeyException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The Actuator endpoint {@code idempotency}: shows the record of an operation's key and deletes it,
 * through {@link IdempotencyAdmin}. Over HTTP ({@code /actuator/idempotency}), with query
 * parameters {@code operation} and {@code key} and, optionally, {@code scope} and {@code
 * principal}:
 *
 * <ul>
 *   <li>{@code GET}: the record's state, token, owner, times, outcome kind, fingerprint and outcome
 *       size, and the SHA-256 of its store key; 404 when there is none. The stored outcome itself
 *       only with {@code idem.admin.show-body=true}.
 *   <li>{@code DELETE}: removes the record whatever its state (a key stuck {@code IN_PROGRESS}, a
 *       record that must be forgotten); the next call with the key runs again. Logged at INFO on
 *       {@code dev.idem.admin} with the operation and the key's SHA-256.
 * </ul>
 *
 * <p>{@code key} is the key value the calls used: an {@code @Idempotent} method's key expression
 * value, or the {@code Idempotency-Key} header of an {@code @IdempotentEndpoint} (without its
 * quotes), whose record is also addressed by the {@code principal} that sent the request (none for
 * anonymous requests). {@code scope} is what the application's scope returned for the call; with
 * {@code idem.scope=principal} it defaults to {@code principal}.
 *
 * <p>Like every Actuator endpoint it is not exposed over HTTP until {@code
 * management.endpoints.web.exposure.include} names it, and it must sit behind the application's
 * actuator security.
 */
@Endpoint(id = "idempotency")
public class IdempotencyEndpoint {

  private final IdempotencyAdmin admin;
  private final Predicate<String> httpOperations;
  private final boolean principalIsScope;
  private final boolean showBody;

  /**
   * Creates the endpoint.
   *
   * @param admin the admin view of the application's {@code Idempotency}
   * @param httpOperations tells the operation names of {@code @IdempotentEndpoint} handlers
   * @param principalIsScope whether calls are scoped by the principal ({@code idem.scope=principal}
   *     without an application scope), so that {@code principal} is the default scope
   * @param showBody whether the stored outcome is shown
   */
  public IdempotencyEndpoint(
      IdempotencyAdmin admin,
      Predicate<String> httpOperations,
      boolean principalIsScope,
      boolean showBody) {
    this.admin = Objects.requireNonNull(admin, "admin");
    this.httpOperations = Objects.requireNonNull(httpOperations, "httpOperations");
    this.principalIsScope = principalIsScope;
    this.showBody = showBody;
  }

  /**
   * Shows the live record of a key.
   *
   * @param operation the operation name
   * @param key the key value the calls used
   * @param scope the calls' scope, if any
   * @param principal for an {@code @IdempotentEndpoint}, the principal that sent the request
   * @return the record, or null (404) if there is none or it has expired
   */
  @ReadOperation
  public @Nullable RecordDescriptor record(
      String operation,
      String key,
      @org.springframework.lang.Nullable @Nullable String scope,
      @org.springframework.lang.Nullable @Nullable String principal) {
    return target(operation, key, scope, principal).call(this::find);
  }

  /**
   * Deletes the record of a key, whatever its state.
   *
   * @param operation the operation name
   * @param key the key value the calls used
   * @param scope the calls' scope, if any
   * @param principal for an {@code @IdempotentEndpoint}, the principal that sent the request
   * @return whether a record was deleted
   */
  @DeleteOperation
  public DeletionDescriptor delete(
      String operation,
      String key,
      @org.springframework.lang.Nullable @Nullable String scope,
      @org.springframework.lang.Nullable @Nullable String principal) {
    return target(operation, key, scope, principal).call(this::deleteRecord);
  }

  private @Nullable RecordDescriptor find(Target target) {
    return admin
        .find(target.operation(), target.key(), target.scope(), showBody)
        .map(RecordDescriptor::of)
        .orElse(null);
  }

  private DeletionDescriptor deleteRecord(Target target) {
    String operation = target.operation();
    String hash = admin.keySha256(operation, target.key(), target.scope());
    return new DeletionDescriptor(
        operation, hash, admin.delete(operation, target.key(), target.scope()));
  }

  private Target target(
      String operation, String key, @Nullable String scope, @Nullable String principal) {
    if (key.isBlank()) {
      throw new InvalidEndpointRequestException("the key is blank", "the key is blank");
    }
    boolean http = httpOperations.test(operation);
    if (principal != null && !http && !principalIsScope) {
      String message =
          "'"
              + operation
              + "' is not an @IdempotentEndpoint and keys are not scoped by the principal: leave"
              + " out 'principal'";
      throw new InvalidEndpointRequestException(message, message);
    }
    Object value = http ? dev.idem.spring.web.IdempotentEndpoints.keyValue(principal, key) : key;
    return new Target(operation, value, scope == null && principalIsScope ? principal : scope);
  }

  /** The record a request addresses: the operation, and the key value and scope of its calls. */
  private record Target(String operation, Object key, @Nullable String scope) {

    /** Applies {@code action} to this record; a key or operation the admin rejects is a 400. */
    <T> T call(Function<Target, T> action) {
      try {
        return action.apply(this);
      } catch (IllegalArgumentException | IdempotencyKeyException e) {
        throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage());
      }
    }
  }

  /**
   * A record as the endpoint shows it.
   *
   * @param operation the operation name
   * @param keySha256 the SHA-256 of the store key, as the audit log shows it
   * @param state {@code IN_PROGRESS} or {@code COMPLETED}
   * @param token the current fencing token
   * @param owner the claimant that holds or completed the record (node and thread)
   * @param createdAt when the record was first claimed
   * @param leaseUntil when the lease ends, while in progress
   * @param expiresAt when the record expires
   * @param outcome the stored outcome's kind ({@code VALUE}, {@code VOID}, {@code EXCEPTION},
   *     {@code DROPPED}), once completed
   * @param fingerprint the payload fingerprint, if the operation has one
   * @param outcomeBytes the stored outcome's size in bytes
   * @param body the stored outcome, only with {@code idem.admin.show-body=true}
   * @param bodyEncoding {@code utf-8} when the body is the outcome's text, {@code base64} when its
   *     bytes are not UTF-8
   */
  public record RecordDescriptor(
      String operation,
      String keySha256,
      String state,
      long token,
      String owner,
      Instant createdAt,
      @Nullable Instant leaseUntil,
      Instant expiresAt,
      @Nullable String outcome,
      @Nullable String fingerprint,
      int outcomeBytes,
      @Nullable String body,
      @Nullable String bodyEncoding) {

    static RecordDescriptor of(RecordView view) {
      byte[] bytes = view.body();
      String text = bytes == null ? null : utf8(bytes);
      String body =
          bytes == null ? null : text != null ? text : Base64.getEncoder().encodeToString(bytes);
      return new RecordDescriptor(
          view.operation(),
          view.keySha256(),
          view.state().name(),
          view.token(),
          view.owner(),
          view.createdAt(),
          view.leaseUntil(),
          view.expiresAt(),
          view.outcomeKind() == null ? null : view.outcomeKind().name(),
          view.fingerprint(),
          view.outcomeBytes(),
          body,
          bytes == null ? null : text != null ? "utf-8" : "base64");
    }

    private static @Nullable String utf8(byte[] bytes) {
      try {
        return StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes))
            .toString();
      } catch (CharacterCodingException e) {
        return null;
      }
    }
  }

  /**
   * The answer to a deletion.
   *
   * @param operation the operation name
   * @param keySha256 the SHA-256 of the store key, as the audit log shows it
   * @param deleted true if a record was removed; false if there was none
   */
  public record DeletionDescriptor(String operation, String keySha256, boolean deleted) {}
}

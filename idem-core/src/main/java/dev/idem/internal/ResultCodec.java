package dev.idem.internal;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.BaseStream;
import org.jspecify.annotations.Nullable;

/**
 * Encodes and decodes the outcomes of one operation against its declared generic return type. Never
 * reads a class name from stored bytes: values decode against the declared type, and exceptions
 * only into the types listed in {@code replayOn}.
 */
public final class ResultCodec {

  /** How the operation returns its result. */
  public enum Shape {
    /** A value (possibly null), returned directly. */
    VALUE,
    /** {@code void}: nothing to store but the fact that it ran. */
    VOID,
    /** A {@link CompletionStage} (or {@link CompletableFuture}) of the value. */
    ASYNC
  }

  private final Shape shape;
  private final @Nullable ObjectWriter writer;
  private final @Nullable ObjectReader reader;
  private final ObjectMapper mapper;
  private final int maxBytes;

  private ResultCodec(
      Shape shape,
      @Nullable ObjectWriter writer,
      @Nullable ObjectReader reader,
      ObjectMapper mapper,
      int maxBytes) {
    this.shape = shape;
    this.writer = writer;
    this.reader = reader;
    this.mapper = mapper;
    this.maxBytes = maxBytes;
  }

  /**
   * Creates the codec for a return type, checking that results of that type can be replayed.
   *
   * @param mapper the hardened result mapper
   * @param returnType the declared generic return type
   * @param maxBytes results encoded to more bytes are dropped
   * @return the codec
   * @throws IllegalArgumentException with a user-facing reason if the type cannot be replayed
   */
  public static ResultCodec forType(ObjectMapper mapper, Type returnType, int maxBytes) {
    if (returnType == void.class || returnType == Void.class) {
      return new ResultCodec(Shape.VOID, null, null, mapper, maxBytes);
    }
    Class<?> raw = rawClass(returnType);
    Shape shape = Shape.VALUE;
    Type valueType = returnType;
    if (CompletionStage.class.isAssignableFrom(raw)) {
      if (raw != CompletionStage.class && raw != CompletableFuture.class) {
        throw new IllegalArgumentException(
            "return type "
                + returnType.getTypeName()
                + " is not supported: declare CompletionStage<T> or CompletableFuture<T>");
      }
      if (!(returnType instanceof ParameterizedType parameterized)) {
        throw new IllegalArgumentException(
            "return type "
                + raw.getSimpleName()
                + " needs a type argument, e.g. CompletionStage<T>");
      }
      shape = Shape.ASYNC;
      valueType = parameterized.getActualTypeArguments()[0];
    } else if (Future.class.isAssignableFrom(raw)) {
      throw new IllegalArgumentException(
          "return type "
              + returnType.getTypeName()
              + " cannot be observed for completion: return CompletionStage<T> or"
              + " CompletableFuture<T>");
    }
    checkReplayable(mapper, valueType, returnType);
    JavaType javaType = mapper.getTypeFactory().constructType(valueType);
    return new ResultCodec(
        shape, mapper.writerFor(javaType), mapper.readerFor(javaType), mapper, maxBytes);
  }

  private static void checkReplayable(ObjectMapper mapper, Type valueType, Type declared) {
    if (valueType instanceof TypeVariable<?> || valueType instanceof WildcardType) {
      throw new IllegalArgumentException(
          "return type "
              + declared.getTypeName()
              + " is not a concrete type; results are decoded against the declared type, so"
              + " declare the concrete type");
    }
    if (valueType == Void.class) {
      return;
    }
    Class<?> raw = rawClass(valueType);
    if (raw == Object.class) {
      throw new IllegalArgumentException(
          "return type "
              + declared.getTypeName()
              + " is too vague to replay: declare the concrete result type");
    }
    if (BaseStream.class.isAssignableFrom(raw)
        || Iterator.class.isAssignableFrom(raw)
        || isNamed(raw, "org.reactivestreams.Publisher")) {
      throw new IllegalArgumentException(
          "return type " + declared.getTypeName() + " is consumed once and cannot be replayed");
    }
    JavaType javaType = mapper.getTypeFactory().constructType(valueType);
    if (javaType.isAbstract()
        && !javaType.isContainerType()
        && !javaType.isReferenceType()
        && !javaType.isPrimitive()
        && !raw.isAnnotationPresent(JsonTypeInfo.class)
        && !raw.isAnnotationPresent(JsonDeserialize.class)) {
      throw new IllegalArgumentException(
          "return type "
              + declared.getTypeName()
              + " is abstract and has no @JsonTypeInfo/@JsonDeserialize, so a replay could not"
              + " construct it: declare a concrete type");
    }
    String classTypeId = findClassNameTypeId(mapper, javaType, new java.util.HashSet<>());
    if (classTypeId != null) {
      throw new IllegalArgumentException(
          "return type "
              + declared.getTypeName()
              + " uses @JsonTypeInfo with class-name type ids ("
              + classTypeId
              + "), which Idem never decodes: no class name is read from the store. Use"
              + " @JsonTypeInfo(use = JsonTypeInfo.Id.NAME) with the subtypes registered in"
              + " @JsonSubTypes");
    }
    AtomicReference<Throwable> cause = new AtomicReference<>();
    if (!mapper.canDeserialize(javaType, cause)) {
      throw new IllegalArgumentException(
          "results of type "
              + declared.getTypeName()
              + " cannot be decoded by Jackson"
              + (cause.get() == null ? "" : ": " + cause.get().getMessage()));
    }
  }

  /**
   * Looks through a type, its type arguments and its properties for {@code @JsonTypeInfo(use =
   * CLASS or MINIMAL_CLASS)}, whose type ids the hardened mapper refuses to read.
   *
   * @return where it was found, or null
   */
  private static @Nullable String findClassNameTypeId(
      ObjectMapper mapper, JavaType type, java.util.Set<JavaType> seen) {
    if (type.isPrimitive() || !seen.add(type)) {
      return null;
    }
    com.fasterxml.jackson.databind.DeserializationConfig config = mapper.getDeserializationConfig();
    com.fasterxml.jackson.databind.BeanDescription description = config.introspect(type);
    if (usesClassNames(description.getClassInfo().getAnnotation(JsonTypeInfo.class))) {
      return "on " + type.getRawClass().getName();
    }
    for (int i = 0; i < type.containedTypeCount(); i++) {
      String found = findClassNameTypeId(mapper, type.containedType(i), seen);
      if (found != null) {
        return found;
      }
    }
    if (type.getContentType() != null) {
      String found = findClassNameTypeId(mapper, type.getContentType(), seen);
      if (found != null) {
        return found;
      }
    }
    if (type.isContainerType()
        || type.isReferenceType()
        || type.getRawClass().getName().startsWith("java.")) {
      return null;
    }
    for (com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition property :
        description.findProperties()) {
      com.fasterxml.jackson.databind.introspect.AnnotatedMember member =
          property.getPrimaryMember();
      if (member == null) {
        continue;
      }
      if (usesClassNames(member.getAnnotation(JsonTypeInfo.class))) {
        return "on property '" + property.getName() + "' of " + type.getRawClass().getName();
      }
      String found = findClassNameTypeId(mapper, property.getPrimaryType(), seen);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  private static boolean usesClassNames(@Nullable JsonTypeInfo info) {
    return info != null
        && (info.use() == JsonTypeInfo.Id.CLASS || info.use() == JsonTypeInfo.Id.MINIMAL_CLASS);
  }

  private static boolean isNamed(Class<?> type, String name) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      if (c.getName().equals(name)) {
        return true;
      }
      for (Class<?> i : c.getInterfaces()) {
        if (isNamed(i, name)) {
          return true;
        }
      }
    }
    return false;
  }

  static Class<?> rawClass(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    return Object.class;
  }

  /**
   * Returns how the operation returns its result.
   *
   * @return the shape
   */
  public Shape shape() {
    return shape;
  }

  /**
   * Encodes a value; a value that cannot be serialized or is too large becomes a {@link
   * OutcomeKind#DROPPED} outcome, so the first caller still gets it and retries learn why it cannot
   * be replayed.
   *
   * @param value the value the body returned
   * @return the outcome to store
   */
  public Outcome encodeValue(@Nullable Object value) {
    if (shape == Shape.VOID) {
      return Outcome.ofVoid();
    }
    BoundedOutput out = new BoundedOutput(maxBytes);
    try {
      writer().writeValue(out, value);
    } catch (Throwable e) { // Errors too: the body ran, so it must never run again
      if (causedBy(e, TooLarge.class)) {
        return Outcome.dropped(
            "the encoded result is larger than the limit of " + maxBytes + " bytes");
      }
      return Outcome.dropped(
          "the result of type "
              + (value == null ? "null" : value.getClass().getName())
              + " is not serializable: "
              + e.getClass().getSimpleName()
              + ": "
              + firstLine(e.getMessage()));
    }
    return Outcome.wrap(OutcomeKind.VALUE, out.toByteArray());
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A byte sink that refuses to grow past the limit, so an oversized result fails as it is written
   * instead of after it has filled the heap.
   */
  private static final class BoundedOutput extends java.io.OutputStream {
    private final int limit;
    private byte[] buffer = new byte[256];
    private int count;

    BoundedOutput(int limit) {
      this.limit = limit;
    }

    @Override
    public void write(int b) throws IOException {
      ensure(1);
      buffer[count++] = (byte) b;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      ensure(length);
      System.arraycopy(bytes, offset, buffer, count, length);
      count += length;
    }

    private void ensure(int more) throws TooLarge {
      long needed = (long) count + more;
      if (needed > limit) {
        throw new TooLarge();
      }
      if (needed > buffer.length) {
        long grown = Math.max(needed, Math.min((long) buffer.length * 2, limit));
        buffer = java.util.Arrays.copyOf(buffer, (int) grown);
      }
    }

    byte[] toByteArray() {
      return java.util.Arrays.copyOf(buffer, count);
    }
  }

  /** Thrown by {@link BoundedOutput} past its limit; no stack trace, it is expected. */
  private static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge() {
      super("result over the size limit");
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  /**
   * Decodes a stored value.
   *
   * @param bytes the stored bytes
   * @return the value
   * @throws IOException if the bytes no longer decode against the declared type
   */
  public @Nullable Object decodeValue(byte[] bytes) throws IOException {
    if (shape == Shape.VOID) {
      return null;
    }
    return reader().readValue(bytes);
  }

  /**
   * Encodes an exception listed in {@code replayOn} as its listed type and message.
   *
   * @param exception the thrown exception
   * @param listedType the listed type it is an instance of (most specific match)
   * @return the outcome to store
   */
  public Outcome encodeException(Throwable exception, Class<? extends Throwable> listedType) {
    ObjectNode node = mapper.createObjectNode();
    node.put("type", listedType.getName());
    String message = exception.getMessage();
    if (message == null) {
      node.putNull("message");
    } else {
      node.put("message", message);
    }
    try {
      return Outcome.wrap(OutcomeKind.EXCEPTION, mapper.writeValueAsBytes(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a two-field JSON object", e);
    }
  }

  /**
   * Recreates a stored exception, instantiating only a type listed in {@code replayOn}.
   *
   * @param bytes the stored bytes
   * @param replayOn the listed types
   * @return the exception to throw
   * @throws IOException if the bytes do not name a listed type or the type cannot be built
   */
  public Throwable decodeException(byte[] bytes, List<Class<? extends Throwable>> replayOn)
      throws IOException {
    JsonNode node = mapper.readTree(bytes);
    String typeName = node.path("type").asText("");
    JsonNode messageNode = node.path("message");
    String message = messageNode.isTextual() ? messageNode.asText() : null;
    for (Class<? extends Throwable> type : replayOn) {
      if (type.getName().equals(typeName)) {
        return instantiate(type, message);
      }
    }
    throw new IOException(
        "the stored exception type is not listed in replayOn any more: " + typeName);
  }

  /**
   * Checks that an exception type can be recreated on replay.
   *
   * @param type the type
   * @throws IllegalArgumentException if it is abstract or has no (String) or () constructor
   */
  public static void checkInstantiable(Class<? extends Throwable> type) {
    if (Modifier.isAbstract(type.getModifiers()) || !Modifier.isPublic(type.getModifiers())) {
      throw new IllegalArgumentException(
          "replayOn type " + type.getName() + " must be a public, concrete class");
    }
    if (constructor(type, String.class) == null && constructor(type) == null) {
      throw new IllegalArgumentException(
          "replayOn type "
              + type.getName()
              + " needs a public constructor taking (String message) or no arguments");
    }
  }

  private static Throwable instantiate(Class<? extends Throwable> type, @Nullable String message)
      throws IOException {
    try {
      Constructor<? extends Throwable> withMessage = constructor(type, String.class);
      if (withMessage != null) {
        return withMessage.newInstance(message);
      }
      Constructor<? extends Throwable> noArgs = constructor(type);
      if (noArgs != null) {
        return noArgs.newInstance();
      }
      throw new IOException("no usable constructor on " + type.getName());
    } catch (InstantiationException | IllegalAccessException | InvocationTargetException e) {
      throw new IOException("cannot recreate " + type.getName(), e);
    }
  }

  private static <T> @Nullable Constructor<T> constructor(Class<T> type, Class<?>... parameters) {
    try {
      Constructor<T> constructor = type.getConstructor(parameters);
      return Modifier.isPublic(constructor.getModifiers()) ? constructor : null;
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  private ObjectWriter writer() {
    if (writer == null) {
      throw new IllegalStateException("void operations have no writer");
    }
    return writer;
  }

  private ObjectReader reader() {
    if (reader == null) {
      throw new IllegalStateException("void operations have no reader");
    }
    return reader;
  }

  private static String firstLine(@Nullable String message) {
    if (message == null) {
      return "no detail";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}

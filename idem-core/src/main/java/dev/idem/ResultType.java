package dev.idem;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Objects;

/**
 * The declared result type of a programmatic operation, generics included, against which stored
 * results are decoded. Capture a generic type with an anonymous subclass:
 *
 * <pre>{@code
 * ResultType<List<Receipt>> type = new ResultType<>() {};
 * }</pre>
 *
 * @param <T> the result type
 */
public abstract class ResultType<T> {

  private final Type type;

  /** Captures the type argument of the anonymous subclass. */
  protected ResultType() {
    Type superclass = getClass().getGenericSuperclass();
    if (!(superclass instanceof ParameterizedType parameterized)) {
      throw new IllegalStateException(
          "ResultType must be created with a type argument, e.g. new ResultType<List<X>>() {}");
    }
    this.type = parameterized.getActualTypeArguments()[0];
  }

  private ResultType(Type type) {
    this.type = Objects.requireNonNull(type, "type");
  }

  /**
   * Returns the result type of a plain class.
   *
   * @param type the class
   * @param <T> the result type
   * @return the result type
   */
  public static <T> ResultType<T> of(Class<T> type) {
    return new ResultType<>(type) {};
  }

  /**
   * Returns a result type for a reflected type, such as a method's generic return type.
   *
   * @param type the type
   * @return the result type
   */
  public static ResultType<Object> ofType(Type type) {
    return new ResultType<>(type) {};
  }

  /**
   * Returns the captured type.
   *
   * @return the type
   */
  public Type type() {
    return type;
  }

  @Override
  public String toString() {
    return type.getTypeName();
  }
}

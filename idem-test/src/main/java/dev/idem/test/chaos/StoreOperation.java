package dev.idem.test.chaos;

/** The store operations a fault can hit. */
public enum StoreOperation {
  /** {@code claim}: the start of every call. */
  CLAIM,
  /** {@code complete}: storing the outcome after the body ran. */
  COMPLETE,
  /** {@code release}: giving the key back after the body failed. */
  RELEASE,
  /** {@code renew}: extending the lease of a running body. */
  RENEW,
  /** {@code find}: reading a record. */
  FIND
}

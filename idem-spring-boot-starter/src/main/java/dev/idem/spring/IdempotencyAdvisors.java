package dev.idem.spring;

import dev.idem.aspect.IdempotentAspect;
import java.util.List;
import java.util.Objects;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.Advisor;
import org.springframework.aop.aspectj.annotation.AspectMetadata;
import org.springframework.aop.aspectj.annotation.MetadataAwareAspectInstanceFactory;
import org.springframework.aop.aspectj.annotation.ReflectiveAspectJAdvisorFactory;

/**
 * Builds the Spring AOP advisor of the Idem aspect: the {@link IdempotentAspect} class that ajc and
 * the load-time weaver use, instantiated with the application's {@link dev.idem.Idempotency}, its
 * {@code @Around} advice turned into an advisor by Spring's own AspectJ annotation support, with an
 * order decided by {@link IdempotencyAdviceOrdering}.
 *
 * <p>The aspect is deliberately not registered as an {@code @Aspect} bean: Spring would then order
 * it at {@code LOWEST_PRECEDENCE}, tied with {@code @Transactional}, and the placement relative to
 * the transaction would depend on bean registration order.
 */
public final class IdempotencyAdvisors {

  /** The name the advisor's aspect has in Spring AOP's precedence rules. */
  public static final String ASPECT_NAME = "idempotentAspect";

  private IdempotencyAdvisors() {}

  /**
   * Creates the advisor. The aspect is created on the first advised call, so that creating the
   * advisor (which Spring does before most beans exist) does not create the engine and its store.
   *
   * @param aspect supplies the aspect, bound to the application's instance; called once
   * @param order supplies the advisor's order when Spring sorts advisors
   * @return the advisor
   */
  public static Advisor create(Supplier<IdempotentAspect> aspect, IntSupplier order) {
    Objects.requireNonNull(aspect, "aspect");
    Objects.requireNonNull(order, "order");
    List<Advisor> advisors =
        new ReflectiveAspectJAdvisorFactory().getAdvisors(new LazyInstance(aspect, order));
    if (advisors.size() != 1) {
      throw new IllegalStateException(
          "expected one advice in "
              + IdempotentAspect.class.getName()
              + ", found "
              + advisors.size());
    }
    return advisors.get(0);
  }

  private static final class LazyInstance implements MetadataAwareAspectInstanceFactory {
    private final AspectMetadata metadata = new AspectMetadata(IdempotentAspect.class, ASPECT_NAME);
    private final Supplier<IdempotentAspect> aspect;
    private final IntSupplier order;

    LazyInstance(Supplier<IdempotentAspect> aspect, IntSupplier order) {
      this.aspect = aspect;
      this.order = order;
    }

    @Override
    public Object getAspectInstance() {
      return aspect.get();
    }

    @Override
    public @Nullable ClassLoader getAspectClassLoader() {
      return IdempotentAspect.class.getClassLoader();
    }

    @Override
    public AspectMetadata getAspectMetadata() {
      return metadata;
    }

    @Override
    public Object getAspectCreationMutex() {
      return this;
    }

    @Override
    public int getOrder() {
      return order.getAsInt();
    }
  }
}

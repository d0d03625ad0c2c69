/**
 * The {@link dev.idem.aspect.IdempotentAspect}: one annotation-style aspect used by compile-time
 * weaving (aspectj-maven-plugin), load-time weaving (the AspectJ agent with the shipped {@code
 * META-INF/aop.xml}) and Spring AOP proxies alike.
 */
@NullMarked
package dev.idem.aspect;

import org.jspecify.annotations.NullMarked;

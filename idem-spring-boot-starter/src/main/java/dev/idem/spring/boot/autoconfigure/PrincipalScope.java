package dev.idem.spring.boot.autoconfigure;

import dev.idem.spring.IdempotencyScope;
import java.security.Principal;
import org.jspecify.annotations.Nullable;
import org.springframework.util.ClassUtils;

/**
 * Scopes keys by the authenticated principal: Spring Security's current authentication when Spring
 * Security is present, else the servlet request's user principal.
 */
final class PrincipalScope implements IdempotencyScope {

  private static final ClassLoader LOADER = PrincipalScope.class.getClassLoader();
  private static final boolean SECURITY =
      ClassUtils.isPresent(
          "org.springframework.security.core.context.SecurityContextHolder", LOADER);
  private static final boolean SERVLET =
      ClassUtils.isPresent("org.springframework.web.context.request.RequestContextHolder", LOADER)
          && ClassUtils.isPresent("jakarta.servlet.http.HttpServletRequest", LOADER);

  @Override
  public @Nullable String current() {
    if (SECURITY) {
      String name = Security.name();
      if (name != null) {
        return name;
      }
    }
    return SERVLET ? Servlet.name() : null;
  }

  private static final class Security {
    static @Nullable String name() {
      var authentication =
          org.springframework.security.core.context.SecurityContextHolder.getContext()
              .getAuthentication();
      if (authentication == null
          || !authentication.isAuthenticated()
          || authentication
              instanceof org.springframework.security.authentication.AnonymousAuthenticationToken) {
        return null;
      }
      return authentication.getName();
    }
  }

  private static final class Servlet {
    static @Nullable String name() {
      if (org.springframework.web.context.request.RequestContextHolder.getRequestAttributes()
          instanceof org.springframework.web.context.request.ServletRequestAttributes attributes) {
        Principal principal = attributes.getRequest().getUserPrincipal();
        return principal == null ? null : principal.getName();
      }
      return null;
    }
  }
}

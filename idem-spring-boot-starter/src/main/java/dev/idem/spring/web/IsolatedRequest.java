package dev.idem.spring.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A request whose attribute writes stay in the wrapper, so that a handler lookup made before the
 * {@code DispatcherServlet} (which caches the lookup path and the matched pattern as attributes)
 * leaves the real request untouched.
 */
final class IsolatedRequest extends HttpServletRequestWrapper {

  private static final Object REMOVED = new Object();
  private final Map<String, Object> local = new HashMap<>();

  IsolatedRequest(HttpServletRequest request) {
    super(request);
  }

  @Override
  public @Nullable Object getAttribute(String name) {
    Object value = local.get(name);
    if (value == REMOVED) {
      return null;
    }
    return value != null ? value : super.getAttribute(name);
  }

  @Override
  public Enumeration<String> getAttributeNames() {
    Set<String> names = new LinkedHashSet<>(Collections.list(super.getAttributeNames()));
    local.forEach(
        (name, value) -> {
          if (value == REMOVED) {
            names.remove(name);
          } else {
            names.add(name);
          }
        });
    return Collections.enumeration(names);
  }

  @Override
  public void setAttribute(String name, @Nullable Object value) {
    local.put(name, value == null ? REMOVED : value);
  }

  @Override
  public void removeAttribute(String name) {
    local.put(name, REMOVED);
  }
}

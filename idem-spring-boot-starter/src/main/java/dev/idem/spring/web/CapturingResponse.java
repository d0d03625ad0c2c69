package dev.idem.spring.web;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.util.ContentCachingResponseWrapper;

/** Buffers the handler's body and notes whether it sent an error to the container's error page. */
final class CapturingResponse extends ContentCachingResponseWrapper {

  private boolean errorSent;

  CapturingResponse(HttpServletResponse response) {
    super(response);
  }

  boolean errorSent() {
    return errorSent;
  }

  @Override
  public void sendError(int sc) throws IOException {
    errorSent = true;
    super.sendError(sc);
  }

  @Override
  public void sendError(int sc, String msg) throws IOException {
    errorSent = true;
    super.sendError(sc, msg);
  }
}

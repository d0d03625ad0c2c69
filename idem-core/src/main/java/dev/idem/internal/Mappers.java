package dev.idem.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** Builds the Jackson mappers Idem uses for results and fingerprints. */
public final class Mappers {

  private Mappers() {}

  /**
   * Returns a new mapper with Idem's defaults: JDK 8 types ({@code Optional}) and java.time
   * support, ISO dates, unknown properties ignored (results survive added fields), and hardened.
   *
   * @return the mapper
   */
  public static ObjectMapper defaultMapper() {
    return harden(
        JsonMapper.builder()
            .addModule(new Jdk8Module())
            .addModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build());
  }

  /**
   * Returns a copy of {@code mapper} that never reads class names from data: default typing is
   * switched off and the polymorphic type validator denies every class-name based subtype, so
   * {@code @JsonTypeInfo(use = CLASS)} cannot instantiate what the method did not declare.
   * Name-based subtypes ({@code @JsonSubTypes}) keep working.
   *
   * @param mapper the application's mapper
   * @return the hardened copy
   */
  public static ObjectMapper harden(ObjectMapper mapper) {
    ObjectMapper copy = mapper.copy();
    copy.deactivateDefaultTyping();
    copy.setPolymorphicTypeValidator(BasicPolymorphicTypeValidator.builder().build());
    return copy;
  }
}

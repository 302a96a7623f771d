package io.registrybridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogSetupTest {
  private final LoggerContext context = new LoggerContext();

  @Test
  void textAtInfoByDefaultWithTheLibrariesQuiet() {
    LogSetup.configure(context, Map.of());

    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.INFO);
    assertThat(((OutputStreamAppender<?>) root.getAppender("stderr")).getEncoder())
        .isInstanceOf(PatternLayoutEncoder.class);
    assertThat(context.getLogger("com.github.dockerjava.core").getEffectiveLevel())
        .isEqualTo(Level.WARN);
    assertThat(context.getLogger("io.registrybridge.core").getEffectiveLevel())
        .isEqualTo(Level.INFO);
  }

  @Test
  void logFormatJsonAndLogLevelFromTheEnvironment() {
    LogSetup.configure(context, Map.of("LOG_FORMAT", "JSON", "LOG_LEVEL", "debug"));

    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.DEBUG);
    assertThat(((OutputStreamAppender<?>) root.getAppender("stderr")).getEncoder())
        .isInstanceOf(JsonEncoder.class);
  }

  @Test
  void anUnknownLevelFallsBackToInfo() {
    LogSetup.configure(context, Map.of("LOG_LEVEL", "verbose"));

    assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.INFO);
  }
}

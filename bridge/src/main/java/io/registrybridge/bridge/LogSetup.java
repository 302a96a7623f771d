package io.registrybridge.bridge;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Locale;
import java.util.Map;

/**
 * The daemon's logging setup, in code rather than a {@code logback.xml}: logs go to stderr, one
 * line per event; {@code LOG_FORMAT=json} switches to one JSON object per line and {@code
 * LOG_LEVEL} sets the root level.
 *
 * <p>Why code: parsing an XML configuration loads logback's Joran machinery and a SAX parser,
 * several hundred classes, before the first line can be printed, and the daemon's start-up is
 * on the path of every sidecar waiting for its registration. logback finds this class through
 * {@code META-INF/services}. A user's own file still wins: with {@code
 * -Dlogback.configurationFile} set, or a {@code logback-test.xml} on the class path (the
 * tests'), this configurator steps aside and logback reads the file as usual.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
  private static final String PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} - %msg%n";

  /** Chatty at INFO, and nothing in them an operator of the bridge needs. */
  private static final Map<String, Level> QUIET = Map.of(
      "com.github.dockerjava", Level.WARN,
      "org.apache.hc", Level.WARN,
      "okhttp3", Level.WARN,
      "io.fabric8", Level.WARN);

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null
        || LogSetup.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    configure(context, System.getenv());
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Applies {@code LOG_FORMAT} and {@code LOG_LEVEL} from {@code env} to {@code context}. */
  static void configure(LoggerContext context, Map<String, String> env) {
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName("stderr");
    appender.setTarget("System.err");
    appender.setEncoder(encoder(context, env.getOrDefault("LOG_FORMAT", "text")));
    appender.start();

    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    root.addAppender(appender);
    String level = env.getOrDefault("LOG_LEVEL", "INFO").strip();
    root.setLevel(Level.toLevel(level, Level.INFO));
    QUIET.forEach((name, quiet) -> context.getLogger(name).setLevel(quiet));
    if (!Level.toLevel(level, Level.OFF).levelStr.equalsIgnoreCase(level)) {
      root.warn("LOG_LEVEL '{}' is not one of TRACE, DEBUG, INFO, WARN, ERROR, OFF; using INFO",
          level);
    }
  }

  private static Encoder<ILoggingEvent> encoder(LoggerContext context, String format) {
    if (format.strip().toLowerCase(Locale.ROOT).equals("json")) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(context);
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithContext(false);
      json.setWithMDC(false);
      json.setWithArguments(false);
      json.setWithMessage(false);
      json.setWithFormattedMessage(true);
      json.start();
      return json;
    }
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern(PATTERN);
    text.start();
    return text;
  }
}

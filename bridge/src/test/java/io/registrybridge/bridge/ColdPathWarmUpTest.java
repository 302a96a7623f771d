package io.registrybridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Sink;
import io.registrybridge.core.Source;
import io.registrybridge.core.SourceListener;
import io.registrybridge.core.SyncResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ColdPathWarmUpTest {
  private final List<String> warmed = new ArrayList<>();

  private Sink sink(String name, RuntimeException failure) {
    return new Sink() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public SyncResult sync(DesiredState desired) {
        throw new AssertionError("a warm-up must not sync");
      }

      @Override
      public void warmUp(ServiceInstance sample) {
        warmed.add(name + " " + sample.id());
        if (failure != null) {
          throw failure;
        }
      }

      @Override
      public void close() {}
    };
  }

  private Source source(String name, RuntimeException failure) {
    return new Source() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public void start(SourceListener listener) {
        throw new AssertionError("a warm-up must not start a source");
      }

      @Override
      public void warmUp() {
        warmed.add(name);
        if (failure != null) {
          throw failure;
        }
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void aPartThatFailsIsLoggedAndTheOthersStillWarmUp() {
    Logger logger = (Logger) LoggerFactory.getLogger(ColdPathWarmUp.class);
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    logger.addAppender(log);
    try {
      ColdPathWarmUp.run("host-a:",
          List.of(source("docker", new IllegalStateException("canned container missing")),
              source("kubernetes", null)),
          List.of(sink("consul", new IllegalArgumentException("no serializer")),
              sink("istio-dir", null)));
    } finally {
      logger.detachAppender(log);
    }

    String id = "host-a:registry-bridge-warm-up:80";
    assertThat(warmed).containsExactly("docker", "kubernetes", "consul " + id,
        "istio-dir " + id);
    assertThat(log.list).filteredOn(e -> e.getLevel().toString().equals("WARN"))
        .extracting(ILoggingEvent::getFormattedMessage).containsExactly(
            "warming up source docker failed, so its first change runs cold: "
                + "java.lang.IllegalStateException: canned container missing",
            "warming up sink consul failed, so its first change runs cold: "
                + "java.lang.IllegalArgumentException: no serializer");
  }

  @Test
  void runsOnceHoweverOftenItIsAsked() throws Exception {
    var asked = new java.util.concurrent.atomic.AtomicInteger();
    ColdPathWarmUp warmUp = new ColdPathWarmUp(() -> {
      asked.incrementAndGet();
      return new ColdPathWarmUp.Parts("host-a:", List.of(source("docker", null)),
          List.of(sink("consul", null)));
    });
    assertThat(warmUp.started()).isFalse();

    Thread outage = Thread.ofPlatform().start(warmUp::runOnce); // a sink's first failure
    warmUp.runOnce(); // every sink converged
    outage.join();
    warmUp.runOnce();

    assertThat(warmUp.started()).isTrue();
    assertThat(asked).hasValue(1);
    assertThat(warmed).containsExactly("docker", "consul host-a:registry-bridge-warm-up:80");
  }
}

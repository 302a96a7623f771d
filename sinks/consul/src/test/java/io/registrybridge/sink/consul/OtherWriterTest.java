package io.registrybridge.sink.consul;

import io.registrybridge.core.LogCapture;
import static io.registrybridge.sink.consul.ConsulSinkTest.OWNER;
import static io.registrybridge.sink.consul.ConsulSinkTest.complete;
import static io.registrybridge.sink.consul.ConsulSinkTest.db;
import static io.registrybridge.sink.consul.ConsulSinkTest.web;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Another bridge with our owner ID writing to the same agent is told, loudly. */
class OtherWriterTest {
  private final FakeConsulAgent agent = new FakeConsulAgent();
  private final ConsulSink sink = new ConsulSink(agent, ConsulSinkTest.config(),
      Clock.systemUTC());
  private final LogCapture log = new LogCapture(ConsulSink.class);

  @AfterEach
  void tearDown() {
    log.close();
  }

  private long warnings() {
    return log.take().stream().filter(line -> line.startsWith("WARN")
        && line.contains("Another registry-bridge with the owner ID '" + OWNER + "'")).count();
  }

  @Test
  void aServiceWithOurMarkThatWeNeverWroteIsReportedAfterTheFirstRead() {
    // Leftovers of an earlier run of ours are normal at the first read: removed quietly.
    agent.putForeign("host-a:old:80", "old", Map.of(ConsulMeta.OWNER, OWNER));
    sink.sync(complete(web(), db()));
    assertThat(warnings()).isZero();

    agent.putForeign("host-a:theirs:80", "theirs", Map.of(ConsulMeta.OWNER, OWNER));
    sink.sync(complete(web(), db()));

    assertThat(warnings()).isOne();
    assertThat(agent.services).doesNotContainKey("host-a:theirs:80");
  }

  @Test
  void aServiceWeWroteWithAnotherHashOrSomeOfOursGoneAreReported() {
    sink.sync(complete(web(), db()));
    agent.putForeign(web().id(), "web", Map.of(ConsulMeta.OWNER, OWNER, ConsulMeta.HASH, "x"));
    sink.sync(complete(web(), db()));
    assertThat(warnings()).isOne();

    agent.services.remove(db().id());
    sink.sync(complete(web(), db()));
    assertThat(warnings()).isOne();
    assertThat(agent.services).containsKeys(web().id(), db().id());
  }

  @Test
  void anAgentThatLostEverythingIsNoOtherWriter() {
    sink.sync(complete(web(), db()));
    agent.services.clear();

    sink.sync(complete(web(), db()));

    assertThat(warnings()).isZero();
    assertThat(agent.services).containsKeys(web().id(), db().id());
  }

  @Test
  void ourOwnChangesAreNotReported() {
    sink.sync(complete(web(), db()));
    sink.apply(java.util.Set.of(web().id(), db().id()),
        complete(web().toBuilder().port(9090).build()));

    sink.sync(complete(web().toBuilder().port(9090).build()));

    assertThat(warnings()).isZero();
  }
}

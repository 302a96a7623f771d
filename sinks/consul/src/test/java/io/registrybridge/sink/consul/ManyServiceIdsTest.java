package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import com.fasterxml.jackson.core.type.TypeReference;
import org.kiwiproject.consul.model.health.Service;

/**
 * {@code GET /v1/agent/services} is one JSON object keyed by service ID. Jackson interns field
 * names in a hash table that refuses to grow past a number of collisions ("suspect a DoS
 * attack"), and 4,000 IDs of Registrator's form from one host reached it: the full read failed,
 * every time, and the sink never converged (bench/run.sh steady, 2026-12-05). Whether a key set
 * collides depends on a seed the table takes from the clock, so no fixed input reproduces it:
 * the client does not intern field names at all (service IDs are data, not a schema's names).
 */
class ManyServiceIdsTest {

  @Test
  void theClientInternsNoFieldNames() {
    assertThat(KiwiConsulAgent.mapper()).isSameAs(org.kiwiproject.consul.util.Jackson.MAPPER);
    assertThat(KiwiConsulAgent.mapper().getFactory().isEnabled(
        com.fasterxml.jackson.core.JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)).isFalse();
  }

  @Test
  void fourThousandIdsOfOneHostAreRead() throws Exception {
    StringBuilder json = new StringBuilder("{");
    int n = 0;
    for (int c = 1; c <= 40; c++) {
      for (int p = 0; p < 100; p++) {
        String id = "rbbench-29996:rbbench-29996-ports-" + c + ":" + (8000 + p);
        json.append(n++ == 0 ? "" : ",").append('"').append(id).append("\":{\"ID\":\"")
            .append(id).append("\",\"Service\":\"ports").append(c).append("\",\"Port\":")
            .append(8000 + p).append(",\"Address\":\"\",\"Tags\":[],\"Meta\":{}}");
      }
    }
    json.append('}');

    // The mapper kiwi's Retrofit converter reads answers with, as the agent client sets it up.
    Map<String, Service> read = KiwiConsulAgent.mapper().readValue(
        json.toString().getBytes(StandardCharsets.UTF_8), new TypeReference<>() {});

    assertThat(read).hasSize(4000).containsKey("rbbench-29996:rbbench-29996-ports-40:8099");
  }
}

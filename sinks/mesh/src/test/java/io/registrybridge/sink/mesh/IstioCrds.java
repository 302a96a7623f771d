package io.registrybridge.sink.mesh;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Arrays;
import java.util.List;

/** The ServiceEntry CRD as an Istio install registers it, reduced to what discovery needs. */
final class IstioCrds {
  private IstioCrds() {}

  /**
   * Installs the CRD serving {@code versions} (the first is the storage version). The CRUD mock
   * server then answers discovery for the highest-priority one.
   */
  static void installServiceEntry(KubernetesClient client, String... versions) {
    List<CustomResourceDefinitionVersion> served = Arrays.stream(versions)
        .map(v -> new CustomResourceDefinitionVersionBuilder().withName(v).withServed(true)
            .withStorage(v.equals(versions[0]))
            .withNewSchema().withOpenAPIV3Schema(new JSONSchemaPropsBuilder().withType("object")
                .withXKubernetesPreserveUnknownFields(true).build()).endSchema()
            .build())
        .toList();
    CustomResourceDefinition crd = new CustomResourceDefinitionBuilder()
        .withNewMetadata().withName("serviceentries.networking.istio.io").endMetadata()
        .withNewSpec().withGroup("networking.istio.io").withScope("Namespaced")
        .withNewNames().withKind("ServiceEntry").withPlural("serviceentries")
        .withSingular("serviceentry").withListKind("ServiceEntryList").endNames()
        .withVersions(served).endSpec()
        .build();
    client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
  }
}

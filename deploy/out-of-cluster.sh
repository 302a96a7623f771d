#!/bin/sh
# registry-bridge syncing a cluster into Consul from outside the cluster, e.g. on the Consul
# server's host: the cluster is found as kubectl finds it (KUBECONFIG, else ~/.kube/config);
# -k8s-context picks a context. The kubeconfig's user needs the reads of the ClusterRole in
# deploy/kubernetes-sync.yaml (and the Lease rights when -leader-elect is given).
#
# Without -leader-elect this one process writes; give it a stable -hostname so that a restart,
# here or on another machine, adopts what it registered instead of registering it again.
exec bin/registry-bridge \
  -source=kubernetes \
  -k8s-context="${K8S_CONTEXT:-$(kubectl config current-context)}" \
  -hostname="${BRIDGE_ID:-k8s-$(kubectl config current-context)}" \
  -deny-k8s-namespace=kube-system -deny-k8s-namespace=kube-public \
  -retry-attempts=-1 \
  consul://localhost:8500

#!/usr/bin/env bash
# Removes what a killed test run (Ctrl-C, a CI timeout) left on the Docker engine: containers and
# networks labelled registry-bridge.test (Consul agents, workload containers), and
# ComposeExampleIT's compose projects (rbcompose<8 hex digits>) with their image. A finished run
# removes its own; nothing else on the engine is touched. Safe to run twice; do not run it while
# another test run uses the same engine.
set -euo pipefail
docker ps -aq --filter label=registry-bridge.test | xargs -r docker rm -f
docker network ls -q --filter label=registry-bridge.test | xargs -r docker network rm
docker ps -a --format '{{.ID}} {{.Label "com.docker.compose.project"}}' \
  | awk '$2 ~ /^rbcompose[0-9a-f]{8}$/ {print $1}' | xargs -r docker rm -f
docker network ls --format '{{.Name}}' | grep -E '^rbcompose[0-9a-f]{8}_default$' \
  | xargs -r docker network rm
docker images --format '{{.Repository}}:{{.Tag}}' | grep '^registry-bridge-compose-it:' \
  | xargs -r docker rmi -f

/**
 * The ZooKeeper sink ({@code zookeeper://}): Registrator's ZooKeeper layout, kept equal to the
 * bridge's desired state through Apache Curator. The daemon finds it through {@link
 * io.registrybridge.sink.zookeeper.ZooKeeperSinkProvider} ({@code META-INF/services}); {@link
 * io.registrybridge.sink.zookeeper.ZooKeeperSink} says what it writes, owns and deletes.
 */
package io.registrybridge.sink.zookeeper;

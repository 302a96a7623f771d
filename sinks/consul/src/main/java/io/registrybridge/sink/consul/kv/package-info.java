/**
 * The {@code consulkv://} sink: Registrator's Consul KV back end, key {@code PREFIX/<name>/<id>},
 * value {@code ip:port}, with this bridge's owner mark in each key's flags. Its only public class
 * is {@link io.registrybridge.sink.consul.kv.ConsulKvSinkProvider}, which the daemon finds through
 * {@link java.util.ServiceLoader}; the sink itself is {@link
 * io.registrybridge.sink.consul.kv.ConsulKvSink}. It shares the Consul sink's endpoint parsing,
 * token and TLS handling ({@link io.registrybridge.sink.consul.ConsulOkHttp}).
 */
package io.registrybridge.sink.consul.kv;

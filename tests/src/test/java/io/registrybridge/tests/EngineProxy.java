package io.registrybridge.tests;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP front for the Docker engine's Unix socket that a test can cut and restore, so the bridge
 * sees the engine go away (its event stream ends, requests fail) and come back on the same
 * address, without restarting the real engine that the rest of the suite runs on.
 */
final class EngineProxy implements AutoCloseable {
  private final Path socket;
  private final int port;
  private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
  private final List<AtomicBoolean> forwarding = new CopyOnWriteArrayList<>();
  private volatile ServerSocketChannel server;
  private volatile boolean forwardNew = true;
  private final java.util.concurrent.atomic.AtomicInteger accepted =
      new java.util.concurrent.atomic.AtomicInteger();

  EngineProxy(Path socket) {
    this.socket = socket;
    this.port = ConsulAgent.freePort();
  }

  /** The engine socket named by DOCKER_HOST (or the default), when it is a Unix socket. */
  static Path engineSocket() {
    String host = System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
    if (!host.startsWith("unix://")) {
      throw new IllegalStateException("EngineProxy needs a unix:// DOCKER_HOST, not " + host);
    }
    return Path.of(host.substring("unix://".length()));
  }

  String dockerHost() {
    return "tcp://127.0.0.1:" + port;
  }

  /** Starts accepting connections (again). */
  synchronized void up() throws IOException {
    ServerSocketChannel channel = ServerSocketChannel.open();
    channel.bind(new InetSocketAddress("127.0.0.1", port));
    server = channel;
    Thread acceptor = new Thread(() -> accept(channel), "engine-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Refuses new connections and cuts every open one, like an engine that stopped. */
  synchronized void down() throws IOException {
    if (server != null) {
      server.close();
      server = null;
    }
    for (SocketChannel channel : open) {
      channel.close();
    }
    open.clear();
    forwarding.clear();
  }

  /**
   * Every open connection stops forwarding in both directions and stays open, like a socket
   * proxy restarted under a running client or a dropped conntrack entry: the client's event
   * stream goes silent without ending, its pooled connections lead nowhere. New connections are
   * forwarded as before.
   */
  void stall() {
    forwarding.forEach(f -> f.set(false));
  }

  /** Like {@link #stall}, and new connections are accepted but never answered: a hung engine. */
  void hang() {
    forwardNew = false;
    stall();
  }

  /** Connections accepted so far. */
  int accepted() {
    return accepted.get();
  }

  private void accept(ServerSocketChannel channel) {
    while (channel.isOpen()) {
      try {
        SocketChannel client = channel.accept();
        SocketChannel engine = SocketChannel.open(StandardProtocolFamily.UNIX);
        engine.connect(UnixDomainSocketAddress.of(socket));
        open.add(client);
        open.add(engine);
        accepted.incrementAndGet();
        AtomicBoolean forwards = new AtomicBoolean(forwardNew);
        forwarding.add(forwards);
        pump(client, engine, forwards);
        pump(engine, client, forwards);
      } catch (IOException e) {
        return; // closed by down()
      }
    }
  }

  private void pump(SocketChannel from, SocketChannel to, AtomicBoolean forwards) {
    Thread thread = new Thread(() -> {
      ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
      try {
        while (from.read(buffer) >= 0) {
          buffer.flip();
          // A stalled connection swallows what it reads: nothing arrives, nothing closes.
          while (forwards.get() && buffer.hasRemaining()) {
            to.write(buffer);
          }
          buffer.clear();
        }
      } catch (IOException e) {
        // one side closed
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "engine-proxy-pump");
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    down();
  }
}

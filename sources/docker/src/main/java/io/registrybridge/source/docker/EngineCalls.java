package io.registrybridge.source.docker;

import static io.registrybridge.source.docker.LogText.describe;
import static io.registrybridge.source.docker.LogText.shortId;
import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Requests to the engine, bounded: each runs on a {@code docker-inspect-N} thread and the
 * source's thread waits for it at most {@link DockerSource.Timing#request}, and wakes at once
 * when the source is closed, so a hung engine never holds up shutdown.
 *
 * <p>One thread waits at a time (the source's single-threaded executor); {@link #wake} may come
 * from any thread.
 */
final class EngineCalls {
  /** Engine requests in flight at once (inspects of a listing); the engine answers in parallel. */
  private static final int INSPECT_CONCURRENCY = 8;

  private final DockerClient docker;
  private final Duration deadline;
  private final BooleanSupplier closed;
  /** Wakes the executor's thread out of a wait for the engine when the source is closed. */
  private volatile Runnable wakeOnClose;
  private ExecutorService inspectPool; // guarded by this; created for the first request

  /**
   * @param deadline the longest wait for one answer
   * @param closed whether the source is closed; it is set before {@link #wake} is called
   */
  EngineCalls(DockerClient docker, Duration deadline, BooleanSupplier closed) {
    this.docker = requireNonNull(docker, "docker");
    this.deadline = requireNonNull(deadline, "deadline");
    this.closed = requireNonNull(closed, "closed");
  }

  /** Ends the wait of the source's thread, if it waits: the source was closed. */
  void wake() {
    Runnable wake = wakeOnClose;
    if (wake != null) {
      wake.run();
    }
  }

  /** Stops the requests still running; after the source was closed. */
  synchronized void shutdown() {
    if (inspectPool != null) {
      inspectPool.shutdownNow();
    }
  }

  /**
   * Inspects containers a few at a time and hands each result to {@code each} on this thread, in
   * the order they complete: a listing of hundreds of containers is bounded by the engine's
   * answers, not by one round trip after another. Only the inspects run in parallel; what is
   * made of them is made on the source's thread. A container whose inspect fails or does not
   * answer in time is handed over as a failure (an empty result of {@code orElseThrow}), so it
   * costs only itself.
   */
  void inspectAll(List<String> ids, InspectResult each) {
    BlockingQueue<Inspected> done = new LinkedBlockingQueue<>();
    List<Future<?>> running = new ArrayList<>(ids.size());
    Set<String> outstanding = new HashSet<>(ids);
    wakeOnClose = () -> done.add(Inspected.CLOSED);
    try {
      if (closed.getAsBoolean()) {
        throw new SourceClosed();
      }
      for (String id : ids) {
        running.add(inspectPool().submit(() -> {
          try {
            done.add(new Inspected(id, InspectedContainers.inspect(docker, id), null));
          } catch (RuntimeException e) {
            done.add(new Inspected(id, null, e));
          }
        }));
      }
      while (!outstanding.isEmpty()) {
        Inspected result = done.poll(deadline.toMillis(), TimeUnit.MILLISECONDS);
        if (result == Inspected.CLOSED || closed.getAsBoolean()) {
          throw new SourceClosed();
        }
        if (result == null) {
          // Nothing answered for a whole request deadline: the rest fail, one by one.
          for (String id : List.copyOf(outstanding)) {
            outstanding.remove(id);
            each.accept(id, new Failed(new EngineTimeoutException("inspecting " + shortId(id)
                + ": no answer from the engine within " + deadline.toMillis() + " ms")));
          }
          break;
        }
        if (outstanding.remove(result.id())) {
          each.accept(result.id(), result.error() == null
              ? new Answer(result.container()) : new Failed(result.error()));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceClosed();
    } catch (RejectedExecutionException e) {
      throw new SourceClosed();
    } finally {
      wakeOnClose = null;
      running.forEach(f -> f.cancel(true));
    }
  }

  /** What one inspect of a listing gave: a container (or its absence), or the failure. */
  sealed interface InspectOutcome permits Answer, Failed {
    Optional<InspectContainerResponse> orElseThrow();
  }

  private record Answer(Optional<InspectContainerResponse> container) implements InspectOutcome {
    @Override
    public Optional<InspectContainerResponse> orElseThrow() {
      return container;
    }
  }

  private record Failed(RuntimeException error) implements InspectOutcome {
    @Override
    public Optional<InspectContainerResponse> orElseThrow() {
      throw error;
    }
  }

  @FunctionalInterface
  interface InspectResult {
    void accept(String id, InspectOutcome outcome);
  }

  private record Inspected(String id, Optional<InspectContainerResponse> container,
      RuntimeException error) {
    static final Inspected CLOSED = new Inspected("", Optional.empty(), null);
  }

  /**
   * Runs one request on an inspect thread and waits for it, at most {@link
   * DockerSource.Timing#request}, or until the source is closed.
   */
  <T> T call(String what, Callable<T> request) {
    CompletableFuture<T> answer = new CompletableFuture<>();
    Future<?> running;
    try {
      running = inspectPool().submit(() -> {
        try {
          answer.complete(request.call());
        } catch (Throwable t) {
          answer.completeExceptionally(t);
        }
      });
    } catch (RejectedExecutionException e) {
      throw new SourceClosed();
    }
    try {
      return await(answer, what);
    } finally {
      running.cancel(true);
    }
  }

  /**
   * Waits for an answer that comes from elsewhere (a docker-java callback), at most {@link
   * DockerSource.Timing#request}, or until the source is closed.
   */
  <T> T await(CompletableFuture<T> answer, String what) {
    wakeOnClose = () -> answer.completeExceptionally(new SourceClosed());
    try {
      if (closed.getAsBoolean()) {
        throw new SourceClosed();
      }
      return answer.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new EngineTimeoutException(what + ": no answer from the engine within "
          + deadline.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceClosed();
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(what + ": " + describe(cause), cause);
    } finally {
      wakeOnClose = null;
    }
  }

  private synchronized ExecutorService inspectPool() {
    if (closed.getAsBoolean()) {
      throw new SourceClosed();
    }
    if (inspectPool == null) {
      AtomicInteger n = new AtomicInteger();
      inspectPool = Executors.newFixedThreadPool(INSPECT_CONCURRENCY, runnable -> {
        Thread thread = new Thread(runnable, "docker-inspect-" + n.incrementAndGet());
        thread.setDaemon(true);
        return thread;
      });
    }
    return inspectPool;
  }

  /** The source was closed while it waited for the engine: the task ends without a word. */
  static final class SourceClosed extends RuntimeException {
    SourceClosed() {
      super("docker source closed", null, false, false);
    }
  }

  /** The engine did not answer one request in time. */
  private static final class EngineTimeoutException extends RuntimeException {
    EngineTimeoutException(String message) {
      super(message);
    }
  }
}

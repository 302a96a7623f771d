package io.registrybridge.source.docker;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;

/** Hands docker-java's callbacks over to the executor, tagged with the stream's generation. */
final class EventStream extends ResultCallback.Adapter<Event> {
  /** Called on docker-java's callback thread for each event. */
  @FunctionalInterface
  interface EventHandler {
    void onEvent(long streamGeneration, Event event);
  }

  /** Called on the executor when the stream ended; {@code cause} is null when it just ended. */
  @FunctionalInterface
  interface EndHandler {
    void streamEnded(long streamGeneration, Throwable cause);
  }

  private final long streamGeneration;
  private final EventHandler events;
  private final EndHandler end;
  private final Executor executor;
  private final BooleanSupplier sourceClosed;
  /** Completes when the engine answered the request: the subscription is in place. */
  private final CompletableFuture<Void> opened = new CompletableFuture<>();
  // Closing a stream yields onError(ClosedByInterruptException): not an engine failure.
  private volatile boolean closing;

  EventStream(long streamGeneration, EventHandler events, EndHandler end, Executor executor,
      BooleanSupplier sourceClosed) {
    this.streamGeneration = streamGeneration;
    this.events = requireNonNull(events, "events");
    this.end = requireNonNull(end, "end");
    this.executor = requireNonNull(executor, "executor");
    this.sourceClosed = requireNonNull(sourceClosed, "sourceClosed");
  }

  /** Completes when the engine answered the request: the subscription is in place. */
  CompletableFuture<Void> opened() {
    return opened;
  }

  /** The source closes this stream: the error that follows is not an engine failure. */
  void markClosing() {
    closing = true;
  }

  @Override
  public void onStart(Closeable closeable) {
    super.onStart(closeable);
    opened.complete(null);
  }

  @Override
  public void onNext(Event event) {
    events.onEvent(streamGeneration, event);
  }

  @Override
  public void onError(Throwable error) {
    opened.completeExceptionally(error);
    if (closing || sourceClosed.getAsBoolean()) {
      try {
        close();
      } catch (IOException e) {
        // closing anyway
      }
      return;
    }
    super.onError(error);
    execute(() -> end.streamEnded(streamGeneration, error));
  }

  @Override
  public void onComplete() {
    super.onComplete();
    opened.completeExceptionally(new IOException("event stream ended"));
    if (!closing && !sourceClosed.getAsBoolean()) {
      execute(() -> end.streamEnded(streamGeneration, null));
    }
  }

  private void execute(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }
}

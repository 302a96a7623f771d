/**
 * The plugin seam. A source or sink is a module with a {@link
 * io.registrybridge.spi.SourceProvider} or {@link io.registrybridge.spi.SinkProvider} listed in
 * {@code META-INF/services}; the daemon finds it through {@link java.util.ServiceLoader}, as
 * fabric8 finds its HTTP clients. A provider owns its URI schemes or {@code -source} name, its
 * own flags (a picocli-annotated object, shown under its own heading in {@code --help}) and its
 * own validation. The daemon keeps only what is daemon-wide ({@link
 * io.registrybridge.spi.DaemonSettings}): host identity, retry, the HTTP listener, lifecycle.
 *
 * <p>Every step that can fail without a network happens before anything starts, so that a wrong
 * URI or flag ends the daemon with status 2 and a message naming it:
 *
 * <ol>
 *   <li>{@code plan}: parse and validate, from the command line alone;
 *   <li>{@code prepare}: check again with the owner ID (known once the host identity is), read
 *       token and certificate files;
 *   <li>{@code create}: build clients, bind ports. With {@code -leader-elect}, only on the
 *       leader.
 * </ol>
 */
package io.registrybridge.spi;

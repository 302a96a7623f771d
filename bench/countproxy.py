#!/usr/bin/env python3
"""A TCP proxy that counts what a client reads and how many requests it sends.

    bench/countproxy.py LISTEN_PORT TARGET_HOST:PORT STATS_FILE

Every second it rewrites STATS_FILE with `requests=N bytes_in=N bytes_out=N` (bytes_in is what
the client read from the target). Requests are counted as HTTP request lines seen from the
client, good enough for HTTP/1.1 without pipelining.
"""
import asyncio
import sys

stats = {"requests": 0, "bytes_in": 0, "bytes_out": 0}
METHODS = (b"GET ", b"PUT ", b"POST ", b"DELETE ", b"HEAD ")


async def pipe(reader, writer, key, count_requests):
    try:
        while data := await reader.read(65536):
            stats[key] += len(data)
            if count_requests:
                stats["requests"] += sum(data.count(m) for m in METHODS)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer, target):
    host, port = target.rsplit(":", 1)
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(
        pipe(client_reader, upstream_writer, "bytes_out", True),
        pipe(upstream_reader, client_writer, "bytes_in", False))


async def report(path):
    while True:
        with open(path, "w") as f:
            f.write(" ".join(f"{k}={v}" for k, v in stats.items()) + "\n")
        await asyncio.sleep(1)


async def main():
    listen, target, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    server = await asyncio.start_server(lambda r, w: handle(r, w, target), "127.0.0.1", listen)
    async with server:
        await asyncio.gather(server.serve_forever(), report(path))


if __name__ == "__main__":
    asyncio.run(main())

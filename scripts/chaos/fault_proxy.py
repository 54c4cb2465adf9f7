"""The fault proxy: a loopback TCP relay between the mailers and a server (the SMTP relay, or
PostgreSQL) that misbehaves on cue.

Modes, switched by the schedule while connections stay open (each chunk is treated by the
mode current when it arrives):

- pass: bytes go through unchanged;
- delay: each chunk waits 20-400 ms, one in ten 2-4 s (past the mailer's command timeout);
- split: each chunk is written in pieces of 1-8 bytes, so replies and commands arrive torn;
- drop: each connection gets a budget of 20-2000 bytes; when it is spent the connection is
  cut in the middle of a chunk (both sides reset), wherever the SMTP dialogue happens to be;
- blackhole: new connections are accepted and never answered; open ones go silent. When the
  mode ends, the silenced connections are reset, as a peer gives up on a dead path;
- cut-replies: one chunk in three the server sends is not forwarded and the connection is reset
  instead, so the client cannot tell whether its last request took effect. In front of
  PostgreSQL this is a commit whose acknowledgement is lost.

The proxy runs its own asyncio loop on a thread of the orchestrator, so it needs no process
of its own and dies with the orchestrator.
"""

import asyncio
import random
import threading

MODES = ("pass", "delay", "split", "drop", "blackhole", "cut-replies")


class Link:
    """One proxied connection: both writers and the byte budget of drop mode."""

    def __init__(self, client, budget):
        self.writers = [client]
        self.budget = budget

    def reset(self):
        for writer in self.writers:
            writer.transport.abort()


class FaultProxy:
    def __init__(self, listen_port, upstream_port, seed):
        self.listen_port = listen_port
        self.upstream_port = upstream_port
        self.mode = "pass"
        # Counts of what each mode did, for the summary.
        self.stats = {"connections": 0, "delayed": 0, "long_delays": 0, "split": 0, "dropped": 0,
                      "blackholed": 0, "replies_cut": 0, "upstream_refused": 0}
        # Used only on the loop's thread, so its sequence depends on the seed and the traffic.
        self._random = random.Random(seed)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._links = set()
        self._server = None
        self._changed = None

    def start(self):
        self._thread.start()
        self._call(self._listen())

    def set_mode(self, mode):
        assert mode in MODES, mode
        self._call(self._switch(mode))

    def stop(self):
        if not self._thread.is_alive():
            return
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self):
        self._changed = asyncio.Event()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.listen_port)

    async def _switch(self, mode):
        self.mode = mode
        # Wakes whatever waits for the mode to change (silenced connections), then re-arms.
        self._changed.set()
        self._changed = asyncio.Event()

    async def _close(self):
        self._server.close()
        for link in list(self._links):
            link.reset()
        await asyncio.sleep(0)

    async def _serve(self, client_reader, client_writer):
        self.stats["connections"] += 1
        link = Link(client_writer, self._random.randint(20, 2000))
        self._links.add(link)
        try:
            if self.mode == "blackhole":
                await self._silence(link)
                return
            try:
                upstream_reader, upstream_writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", self.upstream_port), timeout=5)
            except (OSError, asyncio.TimeoutError):
                # The server is down: the client sees its connection closed before any greeting.
                self.stats["upstream_refused"] += 1
                return
            link.writers.append(upstream_writer)
            await asyncio.gather(self._pump(client_reader, upstream_writer, link, replies=False),
                                 self._pump(upstream_reader, client_writer, link, replies=True),
                                 return_exceptions=True)
        finally:
            link.reset()
            self._links.discard(link)

    async def _pump(self, reader, writer, link, replies):
        try:
            while data := await reader.read(4096):
                if replies and self.mode == "cut-replies" and self._random.random() < 1 / 3:
                    self.stats["replies_cut"] += 1
                    break
                await self._forward(data, writer, link)
        except (ConnectionError, OSError):
            pass
        finally:
            # Neither SMTP nor PostgreSQL half-closes: when one direction ends, the connection is over.
            link.reset()

    async def _forward(self, data, writer, link):
        mode = self.mode
        if mode == "delay":
            long = self._random.random() < 0.1
            self.stats["long_delays" if long else "delayed"] += 1
            await asyncio.sleep(self._random.uniform(2, 4) if long else self._random.uniform(0.02, 0.4))
        elif mode == "split":
            self.stats["split"] += 1
            while data:
                size = self._random.randint(1, 8)
                writer.write(data[:size])
                await writer.drain()
                data = data[size:]
            return
        elif mode == "drop" and len(data) >= link.budget:
            self.stats["dropped"] += 1
            writer.write(data[:link.budget])
            await writer.drain()
            link.reset()
            return
        elif mode == "drop":
            link.budget -= len(data)
        elif mode == "blackhole":
            await self._silence(link)
            return
        writer.write(data)
        await writer.drain()

    async def _silence(self, link):
        """Holds the connection without a byte until blackhole mode ends, then resets it."""
        self.stats["blackholed"] += 1
        while self.mode == "blackhole":
            await self._changed.wait()
        link.reset()

"""Prints a TCP port on 127.0.0.1 that is free right now."""
import socket

with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    print(probe.getsockname()[1])

#!/usr/bin/env python3
"""Test and benchmark peer: a UDP sink that counts the datagrams and bytes that arrive.

Usage: udp_sink.py
Binds 127.0.0.1 on a free port and prints "listening PORT", then "got COUNT BYTES" (all that
arrived so far) each time 200 ms pass without a datagram after some arrived. Exits after 120 s
without any datagram, or when killed.
"""
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(('127.0.0.1', 0))
print('listening', s.getsockname()[1], flush=True)
count = 0
size = 0
told = 0
while True:
    s.settimeout(0.2 if count > told else 120)
    try:
        data = s.recv(65536)
    except socket.timeout:
        if count == told:
            break
        print('got', count, size, flush=True)
        told = count
        continue
    count += 1
    size += len(data)

#!/usr/bin/env python3
"""A TCP peer that connects and says nothing: it prints "connected", then waits up to SECONDS
for the other side to close, and prints "closed after S s" (or "still open").

Usage: silent.py PORT SECONDS
"""
import socket
import sys
import time

port, seconds = int(sys.argv[1]), float(sys.argv[2])
s = socket.create_connection(('127.0.0.1', port))
print('connected', flush=True)
t0 = time.monotonic()
s.settimeout(seconds)
try:
    while s.recv(4096):
        pass
    print('closed after %.2f s' % (time.monotonic() - t0), flush=True)
except socket.timeout:
    print('still open', flush=True)
except OSError:
    print('closed after %.2f s' % (time.monotonic() - t0), flush=True)

#!/usr/bin/env python3
"""Peers that connect and never read: a test of what a listener holds for them.

Usage: idle_clients.py PORT COUNT SECONDS
Opens COUNT TCP connections to 127.0.0.1:PORT with a small receive buffer, prints
"connected COUNT", reads nothing for SECONDS, then closes them all and exits.
"""
import socket
import sys
import time

port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
peers = []
for _ in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(('127.0.0.1', port))
    peers.append(s)
print('connected', len(peers), flush=True)
time.sleep(seconds)
for s in peers:
    s.close()

#!/usr/bin/env python3
"""A UDP peer that floods: sends COUNT datagrams to 127.0.0.1:PORT from one socket as fast as it
can, then waits up to WAIT seconds (default 3) for replies and prints "replies N".

Usage: udp_flood.py PORT COUNT [WAIT]
"""
import socket
import sys
import time

port, count = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(count):
    s.sendto(b'ping %d' % i, ('127.0.0.1', port))
replies = 0
deadline = time.monotonic() + (float(sys.argv[3]) if len(sys.argv) > 3 else 3)
while time.monotonic() < deadline:
    s.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        s.recvfrom(65535)
        replies += 1
    except socket.timeout:
        break
print('replies', replies, flush=True)

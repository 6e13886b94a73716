#!/usr/bin/env python3
"""The socket tutorial's server.py, ported to Python 3: bind, listen, accept, greet, close.

Usage: server.py PORT [COUNT]
PORT 0 asks the OS for a free port. Prints "listening PORT" once bound, then serves COUNT
clients (default 1) and exits, so a test never leaves it running.
"""
import socket
import sys

port = int(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port))
s.listen(5)
s.settimeout(20)
print('listening', s.getsockname()[1], flush=True)
for _ in range(count):
    c, addr = s.accept()
    print('Got connection from', addr, flush=True)
    c.send(b'Thank you for connecting')
    c.close()
s.close()

#!/usr/bin/env python3
"""The socket tutorial's client.py, ported to Python 3: connect, recv(1024), print.

Usage: client.py PORT [HOST] [MESSAGE]
With MESSAGE, sends it first (UTF-8, with Python escapes such as \\n decoded), shuts down the
sending side, and prints everything received until the peer closes. Prints the received bytes
as their repr(), so a test sees them exactly.
"""
import socket
import sys

port = int(sys.argv[1])
host = sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1'
message = sys.argv[3].encode('utf-8').decode('unicode_escape').encode('latin-1') if len(sys.argv) > 3 else None

s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(10)
s.connect((host, port))
if message is None:
    print(repr(s.recv(1024)), flush=True)
else:
    s.sendall(message)
    s.shutdown(socket.SHUT_WR)
    data = b''
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    print(repr(data), flush=True)
s.close()

#!/usr/bin/env python3
"""A Unix-domain stream client: connect to PATH, send MESSAGE, shut down writing, print repr()
of everything received until the peer closes.

Usage: unix_client.py PATH MESSAGE
"""
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode('utf-8'))
s.shutdown(socket.SHUT_WR)
data = b''
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(repr(data), flush=True)
s.close()

#!/usr/bin/env python3
"""A TCP peer with a binary answer: for each connection, read until the client half-closes
(recv returns b''), then send the length of what came (4 bytes, big-endian) and its SHA-256
digest (32 bytes), and close.

Usage: digest_server.py COUNT [SALT]
Binds 127.0.0.1 on a free port, prints "listening PORT", serves COUNT connections and exits, so a
test never leaves it running. With SALT, the digest is of SALT + the bytes: an answer of the same
shape and length, with other bytes.
"""
import hashlib
import socket
import struct
import sys

count = int(sys.argv[1])
salt = sys.argv[2].encode('utf-8') if len(sys.argv) > 2 else b''
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(5)
s.settimeout(20)
print('listening', s.getsockname()[1], flush=True)
for _ in range(count):
    c, _ = s.accept()
    c.settimeout(20)
    data = b''
    while True:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    c.sendall(struct.pack('>I', len(data)) + hashlib.sha256(salt + data).digest())
    c.close()
s.close()

#!/usr/bin/env python3
"""A server that speaks STARTTLS the way SMTP does (RFC 3207): a plain greeting, then on
"STARTTLS" the go-ahead "220 Ready to start TLS", a TLS handshake with Python's ssl module, and
from then on answers each line with "250 secure LINE" over TLS.

Usage: starttls_server.py PORT CERT KEY [COUNT]
PORT 0 asks the OS for a free port. Prints "listening PORT" once bound, "tls VERSION" after each
handshake, and serves COUNT clients (default 1).
"""
import socket
import ssl
import sys

port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port))
s.listen(5)
s.settimeout(20)
print('listening', s.getsockname()[1], flush=True)

for _ in range(count):
    c, _ = s.accept()
    c.settimeout(10)
    f = c.makefile('rb')
    c.sendall(b'220 lab ESMTP ready\r\n')
    try:
        line = f.readline().strip()
        if line != b'STARTTLS':
            c.sendall(b'500 say STARTTLS first\r\n')
            c.close()
            continue
        c.sendall(b'220 Ready to start TLS\r\n')
        t = ctx.wrap_socket(c, server_side=True)
        print('tls', t.version(), flush=True)
        tf = t.makefile('rb')
        while True:
            line = tf.readline()
            if not line:
                break
            t.sendall(b'250 secure ' + line.strip() + b'\r\n')
        t.close()
    except (ssl.SSLError, OSError) as e:
        print('error', type(e).__name__, flush=True)
        c.close()
s.close()

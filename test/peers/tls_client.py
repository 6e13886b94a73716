#!/usr/bin/env python3
"""A TLS client that does not verify (a self-signed listener): connects, completes the
handshake, and prints repr() of what it receives until the server closes.

Usage: tls_client.py PORT
"""
import socket
import ssl
import sys

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5) as raw:
    with ctx.wrap_socket(raw, server_hostname='localhost') as s:
        data = b''
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
print(repr(data), flush=True)

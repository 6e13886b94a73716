#!/usr/bin/env python3
"""A one-connection TCP peer for the tests, scripted from the command line.

Usage: stream_server.py MODE [ARG]
  sink           read until the peer half-closes (recv returns b''), print repr() of the bytes,
                 then send b'got N bytes' and close: a peer for shutdown(SHUT_WR)
  send HEX       send the bytes (hex) in one sendall, then close
  print          send b'hello from python\r\n', then print repr() of each chunk received as it
                 arrives, until the peer closes: a peer that shows what a client sent, live
Binds 127.0.0.1 on a free port and prints "listening PORT" first.
"""
import socket
import sys

mode = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(1)
s.settimeout(20)
print('listening', s.getsockname()[1], flush=True)
c, _ = s.accept()
c.settimeout(20)
if mode == 'sink':
    data = b''
    while True:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    print(repr(data), flush=True)
    c.sendall(b'got %d bytes' % len(data))
elif mode == 'send':
    c.sendall(bytes.fromhex(sys.argv[2]))
elif mode == 'print':
    c.sendall(b'hello from python\r\n')
    while True:
        chunk = c.recv(4096)
        if not chunk:
            break
        print(repr(chunk), flush=True)
c.close()
s.close()

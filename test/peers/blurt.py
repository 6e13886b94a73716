#!/usr/bin/env python3
"""A TCP peer that sends bytes and then misbehaves, for the receive tests.

Usage: blurt.py SIZE CHUNK END [HEAD [TAIL]]
  Listens on 127.0.0.1 (any free port), prints "listening PORT", accepts one client, sends HEAD
  (escaped text, default none), SIZE bytes of "x" in writes of CHUNK bytes and TAIL, then:
    keep   keeps the connection open for 10 s without sending more
    more   after 1 s sends 1000 bytes more, then keeps the connection open for 10 s
    fin    shuts down its side (FIN) and waits for the client to close
    reset  resets the connection (SO_LINGER 0, then close: RST)
"""
import socket
import struct
import sys
import time

size, chunk, end = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def unescape(text):
    return text.encode('utf-8').decode('unicode_escape').encode('latin-1')


head = unescape(sys.argv[4]) if len(sys.argv) > 4 else b''
tail = unescape(sys.argv[5]) if len(sys.argv) > 5 else b''
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(1)
s.settimeout(10)
print('listening', s.getsockname()[1], flush=True)
c, _ = s.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.sendall(head)
block = b'x' * chunk
left = size
while left > 0:
    n = min(chunk, left)
    c.sendall(block[:n])
    left -= n
c.sendall(tail)
if end == 'reset':
    time.sleep(0.2)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()
elif end == 'fin':
    c.shutdown(socket.SHUT_WR)
    c.settimeout(10)
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()
else:
    if end == 'more':
        time.sleep(1)
        c.sendall(b'y' * 1000)
    time.sleep(10)
    c.close()

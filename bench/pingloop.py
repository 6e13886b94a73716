# Benchmark baseline: the same request/response loop in Python 3, as the socket tutorials write
# it. Usage: python3 pingloop.py HOST PORT ROUNDS
import socket
import sys

host, port, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile('rb')
for _ in range(rounds):
    s.sendall(b'PING\n')
    if f.readline() != b'PING\n':
        raise SystemExit('the echo answered something else')
s.close()

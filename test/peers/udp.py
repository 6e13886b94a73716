#!/usr/bin/env python3
"""UDP peers for the tests: sendto/recvfrom, as in the socket tutorial.

Usage:
  udp.py echo PORT [COUNT]     bind 127.0.0.1:PORT, print "listening PORT", echo COUNT datagrams
  udp.py send PORT MESSAGE     sendto 127.0.0.1:PORT, print repr() of the reply from recvfrom
"""
import socket
import sys

mode, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
if mode == 'echo':
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    s.bind(('127.0.0.1', port))
    print('listening', s.getsockname()[1], flush=True)
    for _ in range(count):
        data, addr = s.recvfrom(65535)
        s.sendto(data, addr)
else:
    s.sendto(sys.argv[3].encode('utf-8'), ('127.0.0.1', port))
    data, addr = s.recvfrom(65535)
    print(repr(data), flush=True)
s.close()

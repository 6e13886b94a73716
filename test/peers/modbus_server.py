#!/usr/bin/env python3
"""A small Modbus/TCP server (Modbus Application Protocol V1.1b3, Modbus Messaging on TCP/IP
V1.0b): it answers Read Holding Registers (function 0x03) with register N holding 1000 + N, and
any other function with exception 0x01 (illegal function). There is no Debian Modbus server to
rely on, so the tests use this one; it parses the MBAP header itself with struct.

Usage: modbus_server.py PORT [COUNT]
PORT 0 asks the OS for a free port. Prints "listening PORT" once bound, then serves COUNT clients
(default 1), each until it closes, and prints each request it read ("request tid=… unit=… fn=…").
"""
import socket
import struct
import sys

port = int(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port))
s.listen(5)
s.settimeout(20)
print('listening', s.getsockname()[1], flush=True)


def recv_exactly(c, n):
    data = b''
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


for _ in range(count):
    c, _ = s.accept()
    c.settimeout(10)
    while True:
        header = recv_exactly(c, 7)
        if header is None:
            break
        tid, proto, length, unit = struct.unpack('>HHHB', header)
        pdu = recv_exactly(c, length - 1)
        if pdu is None:
            break
        fn = pdu[0]
        print('request tid=%d proto=%d length=%d unit=%d fn=%d' % (tid, proto, length, unit, fn), flush=True)
        if fn == 3 and len(pdu) == 5:
            start, qty = struct.unpack('>HH', pdu[1:5])
            body = bytes([3, 2 * qty]) + b''.join(struct.pack('>H', 1000 + start + i) for i in range(qty))
        else:
            body = bytes([fn | 0x80, 1])
        c.sendall(struct.pack('>HHHB', tid, 0, len(body) + 1, unit) + body)
    c.close()
s.close()

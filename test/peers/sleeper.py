#!/usr/bin/env python3
"""A peer that never reads: accept one connection, then sleep (at most 30 s) without recv.

Usage: sleeper.py   (binds 127.0.0.1 on a free port, prints "listening PORT")
"""
import socket
import time

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.bind(('127.0.0.1', 0))
s.listen(1)
print('listening', s.getsockname()[1], flush=True)
c, _ = s.accept()
time.sleep(30)

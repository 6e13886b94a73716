#!/usr/bin/env python3
"""Another program's Unix listener: binds PATH (it must not exist), prints "listening", and
answers each client with b'other program' for up to SECONDS (default 10). It never removes PATH.

Usage: unix_listener.py PATH [SECONDS]
"""
import socket
import sys
import time

path = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(8)
print('listening', flush=True)
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    s.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    c.sendall(b'other program')
    c.close()
s.close()

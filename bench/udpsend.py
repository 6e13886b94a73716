# Benchmark baseline: the five-line Python sendto loop. Usage: python3 udpsend.py HOST PORT COUNT SIZE
import socket
import sys

host, port, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
data = b'x' * size
for _ in range(count):
    s.sendto(data, (host, port))

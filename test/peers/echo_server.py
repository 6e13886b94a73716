#!/usr/bin/env python3
"""A threaded TCP echo server for the load tests, as the socket tutorial's part 2 serves several
clients at once (socketserver.ThreadingTCPServer: a thread per connection).

Usage: echo_server.py
Binds 127.0.0.1 on a free port and prints "listening PORT" first, then "served N" each time
a connection ends (N: the connections served so far). Exits after 120 s, or when killed.
"""
import socketserver
import os
import threading

served = 0
lock = threading.Lock()


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        global served
        try:
            while True:
                data = self.request.recv(65536)
                if not data:
                    return
                self.request.sendall(data)
        finally:
            with lock:
                served += 1
                print('served', served, flush=True)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


server = Server(('127.0.0.1', 0), Echo)
print('listening', server.server_address[1], flush=True)
threading.Timer(120, lambda: os._exit(0)).start()
server.serve_forever()

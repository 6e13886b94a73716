/**
 * The helpers an exported Python program defines before its blocks (spec §16.2), as snippets: the
 * program carries only those it uses, and those they need. Python 3.8+, standard library only.
 * Each helper names the `.sock` statement it stands for; the steps themselves stay calls a
 * learner knows (`conn.sendall`, `conn.recv(1024)`, `socket.inet_aton`).
 */

import { S, type Snippet } from './snippets';
import { PYTHON_SERVING } from './pythonServing';
import { PYTHON_VALUES } from './pythonValues';

/** What a program sets up first, before its variables and blocks: settings, the NAME=VALUE arguments, the counts. */
export const PYTHON_STATE = `
TIMEOUT = 5.0  # seconds: Socket Lab's default timeout for a connect, a send or a receive (§9)
MAX_BYTES = 16 * 1024 * 1024  # recv until, line and all give up past 16 MiB, as Socket Lab does

# NAME=VALUE arguments set variables, as \`socket-lab run --var NAME=VALUE\` does.
var = {}
for argument in sys.argv[1:]:
    name, equals, value = argument.partition('=')
    if equals:
        var[name] = value.encode()
SERVE = '--serve' in sys.argv[1:]  # keep listeners open after the last block, as socket-lab run --serve

results = {'passed': 0, 'failed': 0, 'errors': 0}
sessions = []  # the threads that serve accepted connections
connections = {}  # the connections blocks keep open (connect … as NAME keep), by name
printing = threading.Lock()
local = threading.local()  # a load's session: its connections, and whether it prints (§8.15)

`.trim();

/** The helpers, by name. `core` is always there. */
const CONNECTIONS: Readonly<Record<string, Snippet>> = {
  core: S(['socket', 'sys', 'threading', 'time', 'errno'], [], `
def s(name):
    """The variable NAME as text, for an address, a path or a number."""
    return var[name].decode('utf-8', 'surrogateescape')


def show(data):
    """Bytes as Python writes them, cut after 256."""
    return repr(bytes(data[:256])) + ('…' if len(data) > 256 else '')


def log(label, text):
    if getattr(local, 'quiet', False):
        return  # a load prints its first session only
    with printing:
        print(f'[{label}] {text}', flush=True)


def passed(label, line):
    if getattr(local, 'streams', None) is not None:
        return  # a load's sessions are counted by the load
    results['passed'] += 1
    log(label, f'line {line}: passed')


class StepError(Exception):
    """A failure that Socket Lab names with a code of its own: EOF, ETOOBIG, ESERVICE … (§10.3)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


# OpenSSL's verification results (X509_V_ERR_*) by the names Socket Lab reports them with.
VERIFY_CODES = {18: 'DEPTH_ZERO_SELF_SIGNED_CERT', 19: 'SELF_SIGNED_CERT_IN_CHAIN', 20: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
                21: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 10: 'CERT_HAS_EXPIRED', 9: 'CERT_NOT_YET_VALID', 62: 'ERR_TLS_CERT_ALTNAME_INVALID'}


def error_code(error):
    """The code Socket Lab gives an error: its errno name (ECONNREFUSED …) or one of its own (§10.3)."""
    if isinstance(error, StepError):
        return error.code
    if isinstance(error, KeyError):
        return 'EVARIABLE'
    if isinstance(error, socket.gaierror):
        return 'EAI_AGAIN' if error.errno == socket.EAI_AGAIN else 'ENOTFOUND'
    if isinstance(error, socket.herror):
        return 'ENOTFOUND'
    if hasattr(error, 'verify_code'):
        return VERIFY_CODES.get(error.verify_code, 'ERR_SSL_VERIFY')
    if isinstance(error, TimeoutError):
        return 'ETIMEDOUT'
    if isinstance(error, OSError) and error.errno in errno.errorcode:
        return errno.errorcode[error.errno]
    return 'EUNKNOWN'


def expect_error(label, line, error, code=None):
    """expect error [CODE]: the step before failed, with CODE when one is given (§10.2)."""
    found = error_code(error)
    assert code is None or found == code, f'line {line}: expected the error {code}, got {found}: {error}'
    log(label, f'{found} (expected): {error}')
    passed(label, line)


def run_block(label, block, *args):
    """Runs a block or a session: a failed assert or an error ends it (§10.1) and is counted."""
    try:
        block(label, *args)
    except AssertionError as failure:
        results['failed'] += 1
        log(label, f'failed: {failure}')
    except Exception as error:
        results['errors'] += 1
        log(label, f'error {error_code(error)}: {error}')


def finish():
    """Waits up to 2 s for sessions still running (§7.2), prints the totals, exits as socket-lab run does."""
    if SERVE:
        print('serving: listeners stay open until Ctrl-C', flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    deadline = time.monotonic() + 2
    for thread in list(sessions):
        thread.join(max(0.0, deadline - time.monotonic()))
    print(f"{results['passed']} passed, {results['failed']} failed, {results['errors']} errors", flush=True)
    sys.exit(2 if results['errors'] else 1 if results['failed'] else 0)
`),
  stream: S(['socket', 'time', 'struct'], ['core'], `
class Stream:
    """A stream connection (TCP, TLS or Unix) that logs what it sends and receives. Bytes that
    arrive past what a receive asked for wait in \`buffer\` for the next one (§8.1)."""

    def __init__(self, sock, label, verified=False, idle=None):
        self.sock = sock
        self.idle = idle  # idle-timeout (§7.6): no wait for bytes lasts longer, in seconds
        self.label = label
        self.verified = verified
        self.buffer = b''
        self.peer_closed = False
        self.closed = False
        self.received = 0  # bytes read from the socket in all, for await NAME data N
        self.faults = {}  # fault … (§8.14): delay, drip, partial, cut, drop
        self.sent_bytes = 0  # for repeat … rate BYTES/s
        self.elapsed_ms = 0.0
        # A load's timings (§8.15), in ms: the connect, the TLS handshake, the first byte, each round trip.
        self.opened_at = time.monotonic()
        self.connect_ms = self.tls_ms = self.first_byte_ms = None
        self.round_trips = []
        self.sent_at = None

    def sendall(self, data):
        """send: every byte, as socket.sendall; the connection's faults (§8.14) first."""
        started = time.monotonic()
        if self.sent_at is None:
            self.sent_at = started  # a round trip runs from a send to the end of the next recv
        if self.faults.get('drop'):
            log(self.label, f'not sent (fault drop): {len(data)} bytes')
            return
        time.sleep(self.faults.get('delay', 0))
        if 'partial' in self.faults:
            data = data[:self.faults['partial']]
        cut = self.faults.get('cut')  # (bytes left before the cut, 'close' or 'reset')
        if cut:
            data = data[:cut[0]]
        self.sock.settimeout(TIMEOUT)
        if 'drip' in self.faults:
            size, every = self.faults['drip']
            for i in range(0, len(data), size):
                if i:
                    time.sleep(every)
                self.sock.sendall(data[i:i + size])
        else:
            self.sock.sendall(data)
        self.elapsed_ms = (time.monotonic() - started) * 1000
        self.sent_bytes += len(data)
        log(self.label, f'sent {len(data)} bytes: {show(data)}')
        if cut:
            left = cut[0] - len(data)
            self.faults['cut'] = (left, cut[1])
            if left <= 0:
                if cut[1] == 'reset':
                    self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                    self.sock.close()
                    self.closed = True
                    log(self.label, 'reset (fault reset-after)')
                else:
                    self.close()

    def _read(self, deadline):
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError(f'timed out; {len(self.buffer)} bytes arrived: {show(self.buffer)}')
        idle = self.idle is not None and (left is None or self.idle < left)
        self.sock.settimeout(self.idle if idle else left)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            if idle:
                self.close()
                raise TimeoutError(f'idle-timeout: nothing for {self.idle} s, the connection is closed') from None
            raise
        self.received += len(chunk)
        if not chunk:
            self.peer_closed = True
        return chunk

    def _fill(self, size, deadline):
        while len(self.buffer) < size:
            chunk = self._read(deadline)
            if not chunk:
                raise StepError('EOF', f'the peer closed the connection after {len(self.buffer)} of {size} bytes: {show(self.buffer)}')
            self.buffer += chunk

    def _take(self, size, started):
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        now = time.monotonic()
        self.elapsed_ms = (now - started) * 1000
        if self.first_byte_ms is None:
            self.first_byte_ms = (now - self.opened_at) * 1000
        if self.sent_at is not None:
            self.round_trips.append((now - self.sent_at) * 1000)
            self.sent_at = None
        log(self.label, f'received {len(data)} bytes: {show(data)}')
        return data

    def recv(self, size=65536, timeout=TIMEOUT):
        """recv, recv N: what has arrived, at most SIZE bytes; b'' once the peer has closed."""
        started = time.monotonic()
        if not self.buffer:
            self.buffer = self._read(started + timeout)
        return self._take(size, started)

    def recv_exactly(self, size, timeout=TIMEOUT):
        """recv exactly N: waits until SIZE bytes have arrived."""
        started = time.monotonic()
        self._fill(size, started + timeout)
        return self._take(size, started)

    def recv_until(self, delimiter, timeout=TIMEOUT):
        """recv until PAYLOAD: every byte up to and including the delimiter."""
        started = time.monotonic()
        searched = 0
        while delimiter not in self.buffer[searched:]:
            searched = max(0, len(self.buffer) - len(delimiter) + 1)
            if len(self.buffer) > MAX_BYTES:
                raise StepError('ETOOBIG', f'no delimiter in the first {MAX_BYTES} bytes')
            chunk = self._read(started + timeout)
            if not chunk:
                raise StepError('EOF', f'the peer closed the connection before the delimiter arrived; {len(self.buffer)} bytes arrived: {show(self.buffer)}')
            self.buffer += chunk
        return self._take(self.buffer.index(delimiter, searched) + len(delimiter), started)

    def recv_line(self, timeout=TIMEOUT):
        """recv line: every byte up to and including the next LF."""
        return self.recv_until(b'\\n', timeout)

    def recv_all(self, timeout=TIMEOUT):
        """recv all: every byte until the peer closes its side."""
        started = time.monotonic()
        while not self.peer_closed:
            if len(self.buffer) > MAX_BYTES:
                raise StepError('ETOOBIG', f'more than {MAX_BYTES} bytes arrived')
            self.buffer += self._read(started + timeout)
        return self._take(len(self.buffer), started)

    def next_message(self, timeout=None):
        """messages … (§7.9): waits for the peer's next bytes; False once it has closed and nothing is left."""
        if not self.buffer and not self.peer_closed and not self.closed:
            self.buffer = self._read(None if timeout is None else time.monotonic() + timeout)
        return bool(self.buffer)

    def shutdown(self):
        """shutdown: sends FIN and keeps receiving (a half-close)."""
        self.sock.shutdown(socket.SHUT_WR)
        log(self.label, 'sent FIN (shutdown)')

    def close(self):
        self.closed = True
        if self.sock.fileno() != -1:
            self.sock.close()
            log(self.label, 'closed')
`),
  frames: S(['struct', 'time'], ['stream', 'varint'], `
def recv_frame(conn, length_format, after=0, inclusive=False, timeout=TIMEOUT):
    """recv frame TYPE [after N] [inclusive] (§8.1): AFTER bytes of header, a length packed as
    LENGTH_FORMAT (a struct format, or 'varint'), then that many bytes; the whole frame."""
    started = time.monotonic()
    deadline = started + timeout
    if length_format == 'varint':
        size = 0
        while True:
            size += 1
            conn._fill(after + size, deadline)
            if conn.buffer[after + size - 1] < 0x80 or size == 10:
                break
        length = read_varint(conn.buffer, after)
    else:
        size = struct.calcsize(length_format)
        conn._fill(after + size, deadline)
        length = struct.unpack_from(length_format, conn.buffer, after)[0]
    total = length if inclusive else after + size + length
    if length < 0 or total < after + size:
        raise StepError('EBADPAYLOAD', f'a frame length of {length} is impossible')
    if total > MAX_BYTES:
        raise StepError('ETOOBIG', f'a frame of {total} bytes is more than {MAX_BYTES}')
    conn._fill(total, deadline)
    return conn._take(total, started)


def recv_between(conn, start, end, timeout=TIMEOUT):
    """recv frame from START to END (§8.1): bytes before START are skipped."""
    skipped = conn.recv_until(start, timeout)
    log(conn.label, f'skipped {len(skipped) - len(start)} bytes')
    return start + conn.recv_until(end, timeout)
`),
  datagrams: S(['socket', 'time'], ['core'], `
class Datagrams:
    """A UDP socket with one peer: sendall is one datagram (sendto), recv is one datagram
    (recvfrom). In a listener's session the first recv is the datagram that started it (§7.4)."""

    def __init__(self, sock, label, peer=None, datagram=None):
        self.sock = sock
        self.label = label
        self.peer = peer
        self.datagram = datagram
        self.closed = False
        self.faults = {}  # fault delay and drop (§8.14)
        self.sent_bytes = 0  # for repeat … rate BYTES/s
        self.elapsed_ms = 0.0

    def next_message(self, timeout=None):
        """A UDP listener's session has one message: its datagram (§7.9)."""
        return self.datagram is not None

    def sendall(self, data):
        started = time.monotonic()
        if self.faults.get('drop'):
            log(self.label, f'not sent (fault drop): {len(data)} bytes')
            return
        time.sleep(self.faults.get('delay', 0))
        if self.peer is None:
            self.sock.send(data)
        else:
            self.sock.sendto(data, self.peer)
        self.sent_bytes += len(data)
        self.elapsed_ms = (time.monotonic() - started) * 1000
        log(self.label, f'sent {len(data)} bytes: {show(data)}')

    def recv(self, size=65536, timeout=TIMEOUT):
        started = time.monotonic()
        if self.peer is not None:
            if self.datagram is None:
                raise StepError('EOF', 'a UDP session has one datagram: it was received already')
            data, self.datagram = self.datagram[:size], None
        else:
            self.sock.settimeout(timeout)
            data = self.sock.recv(65536)[:size]
        self.elapsed_ms = (time.monotonic() - started) * 1000
        log(self.label, f'received {len(data)} bytes: {show(data)}')
        return data

    def close(self):
        if self.peer is None and self.sock.fileno() != -1:
            self.sock.close()
            log(self.label, 'closed')
`),
  connect: S(['socket', 'time'], ['stream'], `
def connect(address, label, timeout=TIMEOUT, context=None, server_hostname=None):
    """connect tcp HOST:PORT, connect unix PATH, connect tls HOST:PORT (with an ssl CONTEXT)."""
    started = time.monotonic()
    if isinstance(address, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address)
    else:
        sock = socket.create_connection(address, timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    connected = time.monotonic()
    verified = False
    if context is not None:
        sock = context.wrap_socket(sock, server_hostname=server_hostname or address[0])
        verified = context.verify_mode != ssl.CERT_NONE
    conn = Stream(sock, label, verified)
    conn.elapsed_ms = (time.monotonic() - started) * 1000
    conn.connect_ms = (connected - started) * 1000
    if context is not None:
        conn.tls_ms = (time.monotonic() - connected) * 1000
    if getattr(local, 'streams', None) is not None:
        local.streams.append(conn)  # a load's session: its timings are counted
    log(label, f'connected to {address}')
    return conn
`),
  connectUdp: S(['socket'], ['datagrams'], `
def connect_udp(address, label, broadcast=False):
    """connect udp HOST:PORT: a UDP socket whose datagrams go to one peer."""
    sock = socket.socket(socket.AF_INET6 if ':' in address[0] else socket.AF_INET, socket.SOCK_DGRAM)
    if broadcast:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.connect(address)
    log(label, f'connected to {address}')
    return Datagrams(sock, label)
`),
  address: S([], ['core'], `
def address(text):
    """HOST:PORT (or [IPv6]:PORT) as the (host, port) pair socket calls take."""
    host, _, port = text.rpartition(':')
    return host.strip('[]'), int(port)
`),
  echo: S([], ['core'], `
def echo(conn, timeout=TIMEOUT):
    """echo: sends back what arrives until the peer closes (a datagram: once)."""
    while True:
        data = conn.recv(65536, timeout)
        if not data:
            return
        conn.sendall(data)
        if hasattr(conn, 'peer'):
            return  # a datagram is echoed once
`),
  reset: S(['socket', 'struct'], ['core'], `
def reset(conn):
    """reset: SO_LINGER 0, then close, so the peer gets a RST."""
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    conn.sock.close()
    conn.closed = True
    log(conn.label, 'reset')
`),
  closed: S(['socket'], ['stream'], `
def peer_closed(conn):
    """expect closed: a recv returned b'', or the peer's FIN is there to read."""
    if conn.peer_closed:
        return True
    try:
        return conn.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b''
    except BlockingIOError:
        return False
`),
};

/** Every helper by name: connections first, then servers and lookups, then values. */
export const PYTHON_SNIPPETS: Readonly<Record<string, Snippet>> = { ...CONNECTIONS, ...PYTHON_SERVING, ...PYTHON_VALUES };

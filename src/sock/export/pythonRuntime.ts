/**
 * The helpers an exported Python program defines before its blocks (spec §16.2), as snippets: the
 * program carries only those it uses, and those they need. Python 3.8+, standard library only.
 * Each helper names the `.sock` statement it stands for; the steps themselves stay calls a
 * learner knows (`conn.sendall`, `conn.recv(1024)`, `socket.inet_aton`).
 */

/** One helper: its code, the modules it imports and the helpers it calls. */
export interface Snippet {
  readonly imports: readonly string[];
  readonly needs: readonly string[];
  readonly code: string;
}

const S = (imports: string[], needs: string[], code: string): Snippet => ({ imports, needs, code: code.replace(/^\n/, '') });

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
export const PYTHON_SNIPPETS: Readonly<Record<string, Snippet>> = {
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
  listener: S(['socket', 'threading', 'ipaddress', 'struct'], ['stream'], `
events = {}  # connections accepted and datagrams received, by listener name, for await
events_changed = threading.Condition()


def count_event(name, event):
    with events_changed:
        events[(name, event)] = events.get((name, event), 0) + 1
        events_changed.notify_all()


def name_listener(name, listener):
    """as NAME: {{NAME}}, {{NAME.host}}, {{NAME.port}} and {{NAME.address}} for later blocks (§3.2)."""
    bound = listener.getsockname()
    if isinstance(bound, str):
        var[name] = var[name + '.path'] = bound.encode()
        return
    host = {'0.0.0.0': '127.0.0.1', '::': '::1'}.get(bound[0], bound[0])
    text = f'[{host}]:{bound[1]}' if ':' in host else f'{host}:{bound[1]}'
    var[name] = var[name + '.address'] = text.encode()
    var[name + '.host'] = host.encode()
    var[name + '.port'] = str(bound[1]).encode()


def listen(host, port, kind=socket.SOCK_STREAM):
    """socket(), bind() and, for a stream, listen(): the tutorial's server, on HOST:PORT."""
    listener = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, kind)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    if kind == socket.SOCK_STREAM:
        listener.listen()
    return listener


def turned_away(policy, peer):
    """allow and deny (§7.6): a peer that matches a deny, or no allow when there are some."""
    if not isinstance(peer, tuple) or not (policy.get('allow') or policy.get('deny')):
        return False
    address = ipaddress.ip_address(peer[0])
    address = getattr(address, 'ipv4_mapped', None) or address  # ::ffff:127.0.0.1 is 127.0.0.1

    def matches(subnets):
        return any(address in ipaddress.ip_network(subnet, strict=False) for subnet in subnets)

    return matches(policy.get('deny', [])) or (bool(policy.get('allow')) and not matches(policy['allow']))


def serve(label, listener, session, context=None, policy=None):
    """accept() in a thread of its own; each connection's session runs in a thread too, so a
    slow client does not hold up the others (the tutorial's part 2). POLICY holds the listener's
    max_conns (100 by default), allow, deny and idle (§7.6)."""
    policy = policy or {}
    open_connections = [0]
    counting = threading.Lock()

    def one(name, conn):
        try:
            if context is not None:
                conn = context.wrap_socket(conn, server_side=True)
            run_block(name, session, Stream(conn, name, context is not None and context.verify_mode != ssl.CERT_NONE, policy.get('idle')))
        finally:
            conn.close()
            with counting:
                open_connections[0] -= 1

    def accept():
        count = 0
        while True:
            try:
                conn, peer = listener.accept()
            except OSError:
                return  # the listener was closed
            if turned_away(policy, peer):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                conn.close()  # a RST: the peer sees ConnectionResetError
                log(label, f'turned away {peer}: not allowed')
                continue
            with counting:
                full = open_connections[0] >= policy.get('max_conns', 100)
                if not full:
                    open_connections[0] += 1
            if full:
                conn.close()
                log(label, f'turned away {peer}: over max-conns')
                continue
            count += 1
            conn.setblocking(True)
            log(f'{label} c{count}', f'accepted {peer}')
            count_event(label, 'accepted')
            thread = threading.Thread(target=one, args=(f'{label} c{count}', conn), daemon=True)
            sessions.append(thread)
            thread.start()

    threading.Thread(target=accept, daemon=True).start()
    log(label, f'listening on {listener.getsockname()}')
`),
  serveUdp: S(['socket', 'threading'], ['datagrams', 'listener'], `
def serve_udp(label, listener, session, policy=None):
    """recvfrom() in a thread of its own: each datagram runs a session (§7.4); a datagram from a
    peer that allow and deny turn away is dropped (§7.6)."""
    policy = policy or {}

    def receive():
        count = 0
        while True:
            try:
                datagram, peer = listener.recvfrom(65536)
            except OSError:
                return
            if turned_away(policy, peer):
                log(label, f'turned away {peer}: not allowed')
                continue
            count += 1
            name = f'{label} d{count}'
            count_event(label, 'datagram')
            run_block(name, session, Datagrams(listener, name, peer, datagram))

    thread = threading.Thread(target=receive, daemon=True)
    thread.start()
    log(label, f'listening on {listener.getsockname()}')
`),
  listenUnix: S(['socket', 'os', 'stat', 'atexit'], ['listener'], `
def listen_unix(path):
    """A Unix stream listener at PATH; a stale socket file left there is removed first (§7.1)."""
    if os.path.exists(path) and stat.S_ISSOCK(os.stat(path).st_mode):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    atexit.register(os.unlink, path)  # the socket file goes when the program ends
    listener.listen()
    return listener
`),
  awaits: S(['time'], ['listener'], `
def await_event(label, name, event, count=1, timeout=TIMEOUT):
    """await NAME accepted|datagram|data [N] (§8.9): until the listener NAME has accepted N
    connections or received N datagrams in all, or the kept connection NAME has received N bytes."""
    deadline = time.monotonic() + timeout
    if event == 'data':
        conn = connections[name]
        while conn.received < count:
            chunk = conn._read(deadline)
            if not chunk:
                raise StepError('EOF', f'{name} closed after {conn.received} of {count} bytes')
            conn.buffer += chunk
    else:
        with events_changed:
            if not events_changed.wait_for(lambda: events.get((name, event), 0) >= count, timeout):
                raise TimeoutError(f'{name}: {events.get((name, event), 0)} of {count} {event} in {timeout} s')
    log(label, f'{name}: {count} {event}')
`),
  forward: S(['socket', 'threading', 're'], ['connect', 'search'], `
def rewrite(data, rules):
    """rewrite up|down MATCH with PAYLOAD (§7.8): in a chunk going one way, every run of the
    match's bytes, or every match of its regex (pattern, flags, as_bytes), replaced."""
    for match, replacement in rules:
        if isinstance(match, bytes):
            data = data.replace(match, replacement)
        else:
            text, codec = text_of(data, match[2])
            swapped = replacement.decode(codec, 'surrogateescape')
            data = re.sub(match[0], lambda _: swapped, text, flags=match[1]).encode(codec, 'surrogateescape')
    return data


def forward(conn, address, label, timeout=TIMEOUT, context=None, up=(), down=()):
    """forward (§7.8): relays the connection to an upstream, both ways, until both have closed;
    a FIN one way is passed on as a FIN. UP and DOWN: the rewrites of each way."""
    upstream = connect(address, f'{label} upstream', timeout, context)
    if conn.buffer:  # bytes a step read ahead go first
        upstream.sendall(conn.buffer)
        conn.buffer = b''

    def pump(src, dst, rules):
        src.sock.settimeout(None)
        while True:
            try:
                data = src.sock.recv(65536)
            except OSError:
                data = b''
            log(src.label, f'received {len(data)} bytes: {show(data)}')
            if not data:
                try:
                    dst.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            data = rewrite(data, rules)
            dst.sock.sendall(data)
            log(dst.label, f'sent {len(data)} bytes: {show(data)}')

    back = threading.Thread(target=pump, args=(upstream, conn, down), daemon=True)
    back.start()
    pump(conn, upstream, up)
    back.join()
    upstream.close()
`),
  resolve: S(['socket', 'struct', 'random', 'ipaddress'], ['core'], `
RECORD_TYPES = {'A': 1, 'NS': 2, 'CNAME': 5, 'PTR': 12, 'MX': 15, 'TXT': 16, 'AAAA': 28, 'SRV': 33}


def read_name(message, at):
    """A domain name at AT of a DNS message, compression pointers followed (RFC 1035 §4.1.4)."""
    labels, end, jumps = [], None, 0
    while True:
        length = message[at]
        if length >= 0xC0:
            if end is None:
                end = at + 2
            at = ((length & 0x3F) << 8) | message[at + 1]
            jumps += 1
            if jumps > 64:
                raise StepError('EBADRESP', 'a name that points in a loop')
        elif length == 0:
            return '.'.join(labels), (end if end is not None else at + 1)
        else:
            labels.append(message[at + 1:at + 1 + length].decode('latin-1'))
            at += 1 + length


def resolve(name, rtype, server=None, timeout=TIMEOUT):
    """resolve NAME TYPE [@SERVER] (§5.1): one DNS query over UDP, one try, as dig +short answers."""
    if rtype == 'PTR':
        try:
            name = ipaddress.ip_address(name).reverse_pointer  # 1.0.0.127.in-addr.arpa
        except ValueError:
            pass  # an .arpa name already
    if server is None:
        with open('/etc/resolv.conf') as conf:
            server = next(line.split()[1] for line in conf if line.startswith('nameserver'))
    host, _, port = server.rpartition(':') if server.count(':') == 1 or server.startswith('[') else (server, '', '53')
    host = host.strip('[]')
    query_id = random.randint(0, 0xFFFF)
    question = b''.join(bytes([len(label)]) + label.encode() for label in name.rstrip('.').split('.')) + b'\\x00'
    query = struct.pack('>HHHHHH', query_id, 0x0100, 1, 0, 0, 0) + question + struct.pack('>HH', RECORD_TYPES[rtype], 1)
    with socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((host, int(port or 53)))
        sock.send(query)
        try:
            while True:
                reply = sock.recv(65535)
                if len(reply) >= 12 and struct.unpack_from('>H', reply)[0] == query_id:
                    break
        except TimeoutError:
            raise StepError('ETIMEOUT', f'{host}:{port or 53} did not answer in {timeout} s') from None
    _, flags, qdcount, ancount, _, _ = struct.unpack_from('>HHHHHH', reply)
    rcode = flags & 0x0F
    if rcode:
        raise StepError({3: 'ENOTFOUND', 5: 'EREFUSED', 2: 'ESERVFAIL'}.get(rcode, 'EBADRESP'), f'{name} {rtype}: the server answered rcode {rcode}')
    at = 12
    for _ in range(qdcount):
        at = read_name(reply, at)[1] + 4
    answers = []
    for _ in range(ancount):
        at = read_name(reply, at)[1]
        kind, _, _, size = struct.unpack_from('>HHIH', reply, at)
        at += 10
        data = reply[at:at + size]
        if kind == RECORD_TYPES[rtype]:
            if rtype == 'A':
                answers.append(socket.inet_ntoa(data))
            elif rtype == 'AAAA':
                answers.append(socket.inet_ntop(socket.AF_INET6, data))
            elif rtype == 'MX':
                answers.append((struct.unpack_from('>H', data)[0], read_name(reply, at + 2)[0]))
            elif rtype == 'TXT':
                chunks, i = [], 0
                while i < len(data):
                    chunks.append(data[i + 1:i + 1 + data[i]].decode('utf-8', 'replace'))
                    i += 1 + data[i]
                answers.append(''.join(chunks))
            elif rtype == 'SRV':
                priority, weight, port_ = struct.unpack_from('>HHH', data)
                answers.append(f'{priority} {weight} {port_} {read_name(reply, at + 6)[0]}')
            else:
                answers.append(read_name(reply, at)[0])
        at += size
    if not answers:
        raise StepError('ENODATA', f'{name} has no {rtype} record')
    if rtype == 'MX':
        answers = [f'{p} {n}' for p, n in sorted(answers)]
    return ', '.join(answers)
`),
  load: S(['threading', 'time', 'math', 'itertools'], ['connect'], `
class LoadStats:
    """A load's figures (§8.15): sessions, failed and erred ones, starts dropped, and each
    metric's times in ms."""

    def __init__(self):
        self.sessions = self.failed = self.errors = self.dropped = 0
        self.times = {'connect': [], 'tls': [], 'first-byte': [], 'round-trip': [], 'session': []}
        self.lock = threading.Lock()

    def stat(self, metric, name):
        """min, median, p90, p99 (nearest rank), max or mean of METRIC, in ms."""
        values = sorted(self.times[metric])
        if not values:
            raise AssertionError(f'{metric} was never measured')
        if name == 'mean':
            return sum(values) / len(values)
        rank = {'min': 0.0, 'median': 0.5, 'p90': 0.9, 'p99': 0.99, 'max': 1.0}[name]
        return values[max(0, math.ceil(rank * len(values)) - 1)]


def verdict(label, line, ok, why):
    """A load expectation (§8.15): a case of its own, so one that fails does not keep the others from being checked."""
    if ok:
        passed(label, line)
    else:
        results['failed'] += 1
        log(label, f'failed: line {line}: {why}')


def load(label, session, clients, ramp=0.0, rate=None, duration=None):
    """load N clients [ramp D] [rate R/s] [for D] (§8.15): SESSION run by CLIENTS threads at
    once, each once or again and again for DURATION s (closed loop), or started RATE times a
    second with at most CLIENTS running (open loop; a start that finds them all busy is dropped).
    The first session prints; the others are counted."""
    stats = LoadStats()
    started = time.monotonic()
    end = None if duration is None else started + duration
    numbers = itertools.count(1)

    def one(n):
        local.streams, local.quiet = [], n > 1
        begun = time.monotonic()
        outcome = None
        try:
            session(f'{label} v{n}')
        except AssertionError as failure:
            outcome = ('failed', failure)
        except Exception as error:
            outcome = ('errors', error)
        streams, local.streams, local.quiet = local.streams, None, False
        with stats.lock:
            stats.sessions += 1
            stats.times['session'].append((time.monotonic() - begun) * 1000)
            for conn in streams:
                for metric, value in (('connect', conn.connect_ms), ('tls', conn.tls_ms), ('first-byte', conn.first_byte_ms)):
                    if value is not None:
                        stats.times[metric].append(value)
                stats.times['round-trip'].extend(conn.round_trips)
            if outcome:
                setattr(stats, outcome[0], getattr(stats, outcome[0]) + 1)
                if stats.failed + stats.errors <= 10:
                    log(label, f'session {n} {outcome[0]}: {error_code(outcome[1]) + " " if outcome[0] == "errors" else ""}{outcome[1]}')

    threads = []
    if rate is None:
        def client(k):
            time.sleep(ramp * k / clients)
            while True:
                one(next(numbers))
                if end is None or time.monotonic() >= end:
                    return

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        for thread in threads:
            thread.start()
    else:
        running = threading.BoundedSemaphore(clients)

        def started_one(n):
            try:
                one(n)
            finally:
                running.release()

        for k in itertools.count():
            due = started + k / rate
            if (end is None and k >= clients) or (end is not None and due >= end):
                break
            time.sleep(max(0.0, due - time.monotonic()))
            if not running.acquire(blocking=False):
                stats.dropped += 1
                continue
            threads.append(threading.Thread(target=started_one, args=(next(numbers),)))
            threads[-1].start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    trips = f'; round trip median {stats.stat("round-trip", "median"):.2f} ms, p99 {stats.stat("round-trip", "p99"):.2f} ms' if stats.times['round-trip'] else ''
    log(label, f'load: {stats.sessions} sessions in {seconds:.2f} s ({stats.sessions / seconds:.1f}/s){trips}; '
               f'{stats.failed} failed, {stats.errors} errors, {stats.dropped} dropped')
    return stats
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
  duration: S(['re'], ['core'], `
def duration(text):
    """A duration from a variable (§9.1): 500ms, 2s, 1.5s, 1m or 20us, in seconds."""
    m = re.fullmatch(r'(\\d+(?:\\.\\d+)?)(us|ms|s|m)', text.strip())
    if not m:
        raise StepError('EVARIABLE', f'{text!r} is not a duration')
    return float(m.group(1)) * {'us': 1e-6, 'ms': 1e-3, 's': 1.0, 'm': 60.0}[m.group(2)]
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
  search: S(['re'], ['core'], `
def text_of(data, as_bytes=False):
    """How a regex sees a value (§8.5): its UTF-8 text, or one character per byte."""
    if not as_bytes:
        try:
            return data.decode('utf-8'), 'utf-8'
        except UnicodeDecodeError:
            pass
    return data.decode('latin-1'), 'latin-1'


def search(pattern, data, flags=0, as_bytes=False):
    return re.search(pattern, text_of(data, as_bytes)[0], flags)


def groups_of(m, data, as_bytes=False):
    """A rule's regex match: its named groups, as variables (§7.9)."""
    codec = text_of(data, as_bytes)[1]
    return {name: (value or '').encode(codec) for name, value in m.groupdict().items()}
`),
  capture: S(['re'], ['search'], `
def capture_regex(data, pattern, flags=0, as_bytes=False):
    """capture NAME /REGEX/: its first group, or the whole match (§8.11)."""
    text, codec = text_of(data, as_bytes)
    m = re.search(pattern, text, flags)
    if not m:
        raise StepError('ECAPTURE', f'/{pattern}/ does not match {show(data)}')
    value = m.group(1) if m.re.groups else m.group(0)
    if value is None:
        raise StepError('ECAPTURE', f'the first group of /{pattern}/ took no part in the match')
    return value.encode(codec)


def capture_named(data, pattern, flags=0, as_bytes=False):
    """capture /REGEX/: each named group, under its own name."""
    text, codec = text_of(data, as_bytes)
    m = re.search(pattern, text, flags)
    if not m:
        raise StepError('ECAPTURE', f'/{pattern}/ does not match {show(data)}')
    return {name: value.encode(codec) for name, value in m.groupdict().items()}


def capture_line(data, n):
    """capture NAME line N: the Nth line, without its line ending."""
    lines = data.split(b'\\n')
    if n > len(lines) or (n > 1 and n == len(lines) and not lines[-1]):
        raise StepError('ECAPTURE', f'there is no line {n} in {show(data)}')
    return lines[n - 1].removesuffix(b'\\r') if n < len(lines) else lines[n - 1]


def take(data, at, size):
    """capture NAME bytes N at OFFSET: N bytes from OFFSET (from the end when negative)."""
    start = len(data) + at if at < 0 else at
    if start < 0 or start + size > len(data):
        raise StepError('ECAPTURE', f'{size} bytes at offset {at} are past the end of {show(data)}')
    return data[start:start + size]
`),
  unpack: S(['struct'], ['capture', 'varint'], `
def unpack_at(data, fmt, at):
    """capture NAME TYPE at OFFSET: an integer field, kept as its decimal digits (§8.11)."""
    start = len(data) + at if at < 0 else at
    if fmt == 'varint':
        return str(read_varint(data, start)).encode()
    return str(struct.unpack_from(fmt, take(data, start, struct.calcsize(fmt)))[0]).encode()
`),
  varint: S([], [], `
def varint(n):
    """A base-128 varint: 7 bits a byte, least significant first (MQTT 3.1.1 §1.5.5)."""
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_varint(data, at):
    value = 0
    for i in range(10):
        if at + i >= len(data):
            raise StepError('EOF', 'the varint goes past the end of the bytes')
        value |= (data[at + i] & 0x7F) << (7 * i)
        if data[at + i] < 0x80:
            return value
    raise StepError('EBADPAYLOAD', 'a varint longer than 10 bytes')
`),
  matchAt: S([], [], `
def match_at(data, at, expected):
    """expect PAYLOAD at OFFSET (§8.4): the bytes stand there; None in EXPECTED matches any byte."""
    start = len(data) + at if at < 0 else at
    if start < 0 or start + len(expected) > len(data):
        return False
    return all(e is None or data[start + i] == e for i, e in enumerate(expected))
`),
  contains: S([], [], `
def contains(data, expected):
    """expect hex … with ?? (§8.4): the pattern somewhere in the value; None matches any byte."""
    return any(match_at(data, i, expected) for i in range(len(data) - len(expected) + 1))
`),
  arithmetic: S(['re'], [], `
def arithmetic(value):
    """set's integer arithmetic (§8.12): integers joined by + - * × with spaces around are
    computed (* and × first); any other value stays as written."""
    text = value.decode('utf-8', 'surrogateescape')
    if not re.fullmatch(r'\\s*-?\\d+(?:\\s+[-+*×]\\s+-?\\d+)+\\s*', text):
        return value
    tokens = text.split()
    terms, signs = [int(tokens[0])], []
    for op, n in zip(tokens[1::2], tokens[2::2]):
        if op in '*×':
            terms[-1] *= int(n)
        else:
            signs.append(op)
            terms.append(int(n))
    total = terms[0]
    for sign, term in zip(signs, terms[1:]):
        total = total + term if sign == '+' else total - term
    return str(total).encode()
`),
  checksums: S(['zlib', 'struct'], [], `
def crc16_modbus(data):
    """CRC-16/MODBUS of DATA, little endian as Modbus RTU sends it."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return struct.pack('<H', crc)


def inet16(data):
    """The Internet checksum (RFC 1071) of DATA, big endian."""
    if len(data) % 2:
        data += b'\\x00'
    total = sum(struct.unpack(f'>{len(data) // 2}H', data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return struct.pack('>H', ~total & 0xFFFF)
`),
  lookups: S(['socket'], ['core'], `
def looked_up(label, value):
    """A lookup's answer is the value the next expect checks."""
    log(label, f'looked up: {value}')
    return value.encode() if isinstance(value, str) else value


def lookup(name):
    """lookup NAME: gethostbyaddr for an address, else every address getaddrinfo gives."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, name)
            return socket.gethostbyaddr(name)[0]
        except OSError:
            pass
    return ', '.join(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)))


def service(name, proto):
    """service NAME PROTO: getservbyname, or getservbyport for a number."""
    try:
        if name.isdigit():
            return socket.getservbyport(int(name), proto)
        return str(socket.getservbyname(name, proto))
    except OSError:
        raise StepError('ESERVICE', f'{name}/{proto}: not found') from None


def aton(text):
    """aton ADDRESS: inet_aton(3), four bytes."""
    try:
        return socket.inet_aton(text)
    except OSError:
        raise StepError('EBADADDR', f'{text} is not an IPv4 address inet_aton accepts') from None


def pton(text):
    """pton ADDRESS: inet_pton, four bytes for IPv4 or sixteen for IPv6."""
    try:
        return socket.inet_pton(socket.AF_INET6 if ':' in text else socket.AF_INET, text)
    except OSError:
        raise StepError('EBADADDR', f'{text} is not an IP address') from None
`),
  tlsFacts: S(['ssl', 'hashlib'], ['core'], `
def tls_fingerprint(conn):
    """expect tls fingerprint: the peer certificate's SHA-256, AB:CD:… as Socket Lab writes it."""
    digest = hashlib.sha256(conn.sock.getpeercert(binary_form=True)).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


SUBJECT_KEYS = {'commonName': 'CN', 'organizationName': 'O', 'organizationalUnitName': 'OU', 'countryName': 'C',
                'stateOrProvinceName': 'ST', 'localityName': 'L'}


def tls_subject(conn):
    """expect tls subject: the peer certificate's subject, CN=…, O=… (verified sessions only)."""
    subject = conn.sock.getpeercert().get('subject', ())
    return ', '.join(f'{SUBJECT_KEYS.get(key, key)}={value}' for rdn in subject for key, value in rdn)
`),
};

/** The helpers that `used` need, in a fixed order, and the modules they import. */
export function pythonPrelude(used: ReadonlySet<string>): { readonly imports: string[]; readonly code: string } {
  const all = new Set<string>(['core']);
  const visit = (name: string): void => {
    if (all.has(name) && name !== 'core') return;
    all.add(name);
    for (const n of PYTHON_SNIPPETS[name].needs) visit(n);
  };
  for (const name of used) visit(name);
  visit('core');
  const names = Object.keys(PYTHON_SNIPPETS).filter((n) => all.has(n));
  const imports = [...new Set(names.flatMap((n) => PYTHON_SNIPPETS[n].imports))].sort();
  return { imports, code: names.map((n) => PYTHON_SNIPPETS[n].code).join('\n\n') };
}

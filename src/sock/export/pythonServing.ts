/**
 * The Python export's helpers for servers and the network beyond one connection (spec §16.1): listeners
 * and their policy, `await`, relays, loads, lookups, `resolve` and TLS facts.
 */
import { S, type Snippet } from './snippets';

/** Serving helpers of an exported Python program, by name (see pythonRuntime.ts). */
export const PYTHON_SERVING: Readonly<Record<string, Snippet>> = {
  listener: S(['socket', 'threading', 'ipaddress', 'struct'], ['stream'], `
events = {}  # connections accepted and datagrams received, by listener name, for await
events_changed = threading.Condition()


def count_event(name, event):
    with events_changed:
        events[(name, event)] = events.get((name, event), 0) + 1
        events_changed.notify_all()


def start_session(target, *args):
    """Runs a session in a thread of its own, which finish() waits for (§7.2); the sessions that
    have ended are dropped from the list, so a long --serve keeps only those still running."""
    sessions[:] = [thread for thread in sessions if thread.is_alive()]
    thread = threading.Thread(target=target, args=args, daemon=True)
    sessions.append(thread)
    thread.start()


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
            start_session(one, f'{label} c{count}', conn)

    threading.Thread(target=accept, daemon=True).start()
    log(label, f'listening on {listener.getsockname()}')
`),
  serveUdp: S(['socket', 'threading'], ['datagrams', 'listener'], `
def serve_udp(label, listener, session, policy=None):
    """recvfrom() in a thread of its own: each datagram runs a session in a thread (§7.4), which
    finish() waits for as it waits for a connection's; a datagram from a peer that allow and deny
    turn away is dropped (§7.6)."""
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
            start_session(run_block, name, session, Datagrams(listener, name, peer, datagram))

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
    atexit.register(lambda: os.path.exists(path) and os.unlink(path))  # the socket file goes when the program ends
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

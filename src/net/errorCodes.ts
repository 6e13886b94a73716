/**
 * What each error code of Socket Lab means, in one table: where it comes from, what happened on the
 * wire, the Python exception a program making the same calls would see, and the typical cause in a
 * `.sock` file. The message hint of {@link fromNodeError} (`errors.ts`), the hovers over
 * `expect error CODE` and over a step that erred, and the spec's §10.3 table all read it; a unit
 * test keeps the spec's table equal to it. Pure data: nothing here touches a socket.
 *
 * Sources: errno names and `strerror` texts of Linux (glibc), `getaddrinfo(3)`, Node's `dns`
 * error codes (c-ares) and `tls` verification codes (OpenSSL's `X509_V_ERR_*`), and Python's
 * `socket`, `ssl` and `asyncio` documentation (the OSError subclasses of PEP 3151).
 */

/** Who raises a code, as the spec's §10.3 table names it. */
export type ErrorOrigin = 'OS' | 'OS / DNS' | 'DNS' | 'Socket Lab / OS' | 'Socket Lab' | 'TLS (OpenSSL)' | 'TLS (Node)';

/** One code of the table. Texts marked Markdown may hold code spans. */
export interface ErrorCodeInfo {
  /** The code as `err.code` carries it; a family ends with `…` and stands for every code that starts with the rest (`ERR_SSL_…`). */
  readonly code: string;
  readonly origin: ErrorOrigin;
  /** The short sentence an error's message gives, `WHAT: HINT (CODE)`; for errors that Socket Lab words at the call site, none. */
  readonly hint?: string;
  /** `strerror(3)` of the errno, as Python's message prints it (`[Errno 111] Connection refused`); only for errno codes. */
  readonly strerror?: string;
  /** What happened on the wire, or that nothing reached it. Markdown, one or two sentences. */
  readonly wire: string;
  /** The Python exception a program would see, and from which call. Markdown. */
  readonly python: string;
  /** The typical cause in a `.sock` file: the spec's "Typical cause" cell. Markdown, no `|`. */
  readonly cause: string;
  /** A TLS peer certificate that did not verify: the errors `insecure` skips. */
  readonly tlsVerify?: true;
}

const TLS_VERIFY_CAUSE = "`connect tls`: the server's certificate failed verification (§6.1)";
const TLS_VERIFY_PYTHON = (verifyCode: number, message: string): string =>
  `\`ssl.SSLCertVerificationError\` (an \`ssl.SSLError\`) from \`wrap_socket()\` or \`do_handshake()\`: \`[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ${message}\`, with \`verify_code\` ${verifyCode}`;
const TLS_REFUSED = 'the client refused it and closed the connection before sending any data';
const SSL_CAUSE = "another failed handshake, the code naming OpenSSL's reason. A `cert` or `key` file that is not PEM, such as `ERR_OSSL_PEM_NO_START_LINE`";
const DNS_NO_STDLIB = "the standard library has no DNS query call (`getaddrinfo()` asks the system's resolver); with dnspython,";
const NOTHING_SENT = 'nothing.';

/** Every code, in the order of the spec's §10.3 table. */
export const ERROR_CODES: readonly ErrorCodeInfo[] = [
  {
    code: 'ECONNREFUSED',
    origin: 'OS',
    hint: 'connection refused: nothing is listening there',
    strerror: 'Connection refused',
    wire: "the peer's host answered the SYN with a RST: nothing listens on that port. For UDP, an ICMP port unreachable came back for an earlier datagram, and the kernel reports it at the next `send` or `recv`.",
    python: '`ConnectionRefusedError` (errno ECONNREFUSED) from `connect()`; for UDP, from the next `send()` or `recv()` of a connected socket',
    cause: '`connect tcp` to a port where nothing listens. A UDP `recv` or `send` after the peer\'s port was unreachable. `resolve … @SERVER` where nothing listens on the server\'s port',
  },
  {
    code: 'ECONNRESET',
    origin: 'OS',
    hint: 'connection reset by peer',
    strerror: 'Connection reset by peer',
    wire: 'the peer sent a RST on an open connection: its program closed with bytes it had not read, or aborted the connection (`SO_LINGER` 0), or a listener turned this client away.',
    python: '`ConnectionResetError` (errno ECONNRESET) from `recv()` or `send()`',
    cause: 'the peer reset the connection. A listener\'s `deny` or `allow` turned this client away (§7.6)',
  },
  {
    code: 'EPIPE',
    origin: 'OS',
    hint: 'broken pipe: the peer closed the connection',
    strerror: 'Broken pipe',
    wire: "the peer had closed (its FIN came), an earlier write reached it and it answered with a RST: the connection is gone, and this write sent nothing. Or this side had shut down its sending half.",
    python: '`BrokenPipeError` (errno EPIPE) from `send()` or `sendall()`; Python ignores `SIGPIPE`, so it is an exception, not a signal',
    cause: 'a send after the peer closed the connection',
  },
  {
    code: 'EADDRINUSE',
    origin: 'OS',
    hint: 'address already in use',
    strerror: 'Address already in use',
    wire: `${NOTHING_SENT} \`bind()\` refused, because another socket holds that address and port (or a connection in TIME_WAIT does, without \`SO_REUSEADDR\`), or a file exists at that Unix path.`,
    python: '`OSError` with `errno.EADDRINUSE` from `bind()`',
    cause: '`listen` on a port that is taken, or on a Unix path where a file exists. For Unix, the message says whether the path is not a socket, another listener is using it, or a stale socket file is in the way (§7.1)',
  },
  {
    code: 'EADDRNOTAVAIL',
    origin: 'OS',
    hint: 'address not available on this machine',
    strerror: 'Cannot assign requested address',
    wire: `${NOTHING_SENT} \`bind()\` named an address that no interface of this machine has.`,
    python: '`OSError` with `errno.EADDRNOTAVAIL` from `bind()`',
    cause: '`listen` on an address that is not on this machine',
  },
  {
    code: 'EACCES',
    origin: 'OS',
    hint: 'permission denied',
    strerror: 'Permission denied',
    wire: `${NOTHING_SENT} The kernel refused. A port below 1024 needs privilege (\`CAP_NET_BIND_SERVICE\`), a datagram to a broadcast address needs \`SO_BROADCAST\`, and a file needs its permissions.`,
    python: '`PermissionError` (errno EACCES) from `bind()`, `sendto()` or `open()`',
    cause: '`listen` on a privileged port (below 1024) without permission. A `connect udp` or `send` to a broadcast address in a block without the `broadcast` line; the message says the line is needed (§6.3)',
  },
  {
    code: 'ENOENT',
    origin: 'OS',
    hint: 'no such file or directory',
    strerror: 'No such file or directory',
    wire: `${NOTHING_SENT} The path does not exist: no socket file at a Unix path, or no file for a payload or a certificate.`,
    python: '`FileNotFoundError` (errno ENOENT) from `connect()` of an `AF_UNIX` socket, or from `open()`',
    cause: '`connect unix` to a path where no socket exists. A `file` payload, or a `ca`, `cert` or `key` file, that does not exist',
  },
  {
    code: 'ENOTFOUND',
    origin: 'OS / DNS',
    hint: 'host not found',
    wire: "the name does not resolve: a DNS server answered NXDOMAIN, or no source of the system's resolver (`/etc/hosts`, DNS) knows it. No connection was tried.",
    python: '`socket.gaierror` `[Errno -2] Name or service not known` (EAI_NONAME) from `getaddrinfo()`, `gethostbyname()` or `connect()`; a reverse lookup raises `socket.herror` from `gethostbyaddr()`; dnspython\'s `resolve()` raises `dns.resolver.NXDOMAIN`',
    cause: 'a host name that does not resolve. A reverse `lookup` of an address that has no name. `resolve`: the name does not exist (NXDOMAIN)',
  },
  {
    code: 'ENODATA',
    origin: 'DNS',
    hint: 'no record of that type',
    wire: 'the DNS server answered NOERROR with an empty answer section: the name exists, but has no record of that type.',
    python: `${DNS_NO_STDLIB} \`dns.resolver.NoAnswer\``,
    cause: '`resolve`: the name exists, but has no record of that type (§5.1)',
  },
  {
    code: 'EREFUSED',
    origin: 'DNS',
    hint: 'the DNS server refused the query',
    wire: 'the DNS server answered with RCODE 5, REFUSED: it will not answer this client (a server that does no recursion for outsiders, say).',
    python: `${DNS_NO_STDLIB} \`dns.resolver.NoNameservers\` once every server has refused`,
    cause: '`resolve`: the DNS server refused the query',
  },
  {
    code: 'ESERVFAIL',
    origin: 'DNS',
    hint: 'the DNS server failed (SERVFAIL)',
    wire: 'the DNS server answered with RCODE 2, SERVFAIL: it could not get an answer itself (an authoritative server did not answer, or DNSSEC validation failed).',
    python: `${DNS_NO_STDLIB} \`dns.resolver.NoNameservers\` once every server has failed`,
    cause: '`resolve`: the DNS server failed (SERVFAIL)',
  },
  {
    code: 'ETIMEOUT',
    origin: 'DNS',
    hint: 'the DNS server did not answer in time',
    wire: 'the query went out (over UDP, with retries) and no answer came back in time: a server that is down, a wrong address, or a firewall that drops port 53.',
    python: `${DNS_NO_STDLIB} \`dns.resolver.LifetimeTimeout\` (a \`dns.exception.Timeout\`); \`getaddrinfo()\` gives \`socket.gaierror\` EAI_AGAIN`,
    cause: '`resolve`: the DNS server did not answer in time. This is the DNS code, spelt without a D; other timeouts are `ETIMEDOUT`',
  },
  {
    code: 'EBADRESP',
    origin: 'DNS',
    hint: 'the DNS server sent a malformed answer',
    wire: 'an answer came back that does not parse as a DNS message (RFC 1035 §4), or does not answer the query that was sent.',
    python: `${DNS_NO_STDLIB} \`dns.message.from_wire()\` raises \`dns.exception.FormError\`, and \`resolve()\` tries the next server, then raises \`dns.resolver.NoNameservers\``,
    cause: "`resolve`: the DNS server's answer was malformed",
  },
  {
    code: 'EAI_AGAIN',
    origin: 'OS',
    hint: 'temporary failure in name resolution',
    wire: "the system's resolver got no definite answer: its DNS servers could not be reached, did not answer, or failed. Asking again later may work.",
    python: '`socket.gaierror` `[Errno -3] Temporary failure in name resolution` (EAI_AGAIN) from `getaddrinfo()`, `gethostbyname()` or `connect()`',
    cause: 'a temporary resolver failure',
  },
  {
    code: 'EHOSTUNREACH',
    origin: 'OS',
    hint: 'host unreachable',
    strerror: 'No route to host',
    wire: 'the host could not be reached: a router (or a firewall) answered with ICMP host unreachable, or on the local link nobody answered ARP or neighbour discovery for that address.',
    python: '`OSError` with `errno.EHOSTUNREACH` from `connect()` or `sendto()`',
    cause: 'the host cannot be reached: no route to it, or an ICMP host unreachable came back',
  },
  {
    code: 'ENETUNREACH',
    origin: 'OS',
    hint: 'network unreachable',
    strerror: 'Network is unreachable',
    wire: "this machine's routing table has no route to the host's network, so nothing was sent; or a router answered with ICMP network unreachable.",
    python: '`OSError` with `errno.ENETUNREACH` from `connect()` or `sendto()`',
    cause: "no route to the host's network: no default route, or an IPv6 address on a machine with no IPv6 route",
  },
  {
    code: 'EMSGSIZE',
    origin: 'OS',
    hint: 'message too long for one datagram',
    strerror: 'Message too long',
    wire: `${NOTHING_SENT} The payload is larger than one datagram can carry (65,507 bytes of UDP payload over IPv4, 65,527 over IPv6).`,
    python: '`OSError` with `errno.EMSGSIZE` from `sendto()` or `send()`',
    cause: 'a UDP payload larger than a datagram can hold',
  },
  {
    code: 'ETIMEDOUT',
    origin: 'Socket Lab / OS',
    hint: 'timed out',
    strerror: 'Connection timed out',
    wire: 'no answer in time. For a connect, the SYN and its retries got no reply: a firewall dropped them, or the host is down. For a `recv`, the peer sent nothing more within the timeout; the connection itself may be fine.',
    python: '`TimeoutError` `timed out` from a call on a socket with `settimeout()` (`socket.timeout`, an alias of `TimeoutError` since Python 3.10); without `settimeout()`, the kernel\'s own connect timeout is `TimeoutError` (errno ETIMEDOUT)',
    cause: "a connect, `recv`, `send` or `echo` wait exceeded its timeout. A listener's `idle-timeout` closed the connection (§7.6)",
  },
  {
    code: 'EOF',
    origin: 'Socket Lab',
    wire: "the peer's FIN arrived (it closed, or shut down its sending half) before the awaited bytes did.",
    python: "no exception: a `recv()` returned `b''` before the delimiter (or before N bytes), and the program must check for it; asyncio's `readuntil()` and `readexactly()` raise `asyncio.IncompleteReadError`",
    cause: '`recv until` or `recv line`: the peer closed before the delimiter arrived. `recv exactly N`: the peer closed before N bytes came. A second `recv` in a UDP listener session',
  },
  {
    code: 'ETOOBIG',
    origin: 'Socket Lab',
    wire: 'the bytes kept coming: more than the bound arrived without the delimiter. For a `file` payload, nothing was sent.',
    python: "no exception of its own: a program bounds its buffer itself; asyncio's `readuntil()` raises `asyncio.LimitOverrunError` past the stream's limit",
    cause: '`recv until` / `recv line` / `recv all` went past 16 MiB. A `file` payload larger than 64 MiB',
  },
  {
    code: 'ECLOSED',
    origin: 'Socket Lab',
    wire: `${NOTHING_SENT} This side had closed or shut down the connection, or never had one.`,
    python: '`OSError` `[Errno 9] Bad file descriptor` from a call after `close()`; `BrokenPipeError` from `send()` after `shutdown(SHUT_WR)`',
    cause: 'a step on a connection that was closed (`send` after `close` or `shutdown`), or with no connection (after a failed `connect` or `use`)',
  },
  {
    code: 'ECANCELED',
    origin: 'Socket Lab',
    wire: "Socket Lab closed the run's sockets: each connection ended with a FIN, or a RST when received bytes were still unread.",
    python: '`KeyboardInterrupt` at Ctrl-C; in asyncio, `asyncio.CancelledError` in the cancelled task',
    cause: 'the run was cancelled: Ctrl-C, Cancel in the editor, or the end of `--serve`. A `repeat` cut short this way reports `cancelled after K rounds of N` (§8.10)',
  },
  {
    code: 'EINTERNAL',
    origin: 'Socket Lab',
    wire: "nothing in particular: a defect of Socket Lab, not of the peer. Every socket of the run was closed.",
    python: 'none: this is a bug in Socket Lab, worth a report',
    cause: 'a defect of Socket Lab escaped a block: the run reports it once, closes every listener and connection, runs no further block, and the CLI exits 2',
  },
  {
    code: 'ESERVICE',
    origin: 'Socket Lab',
    wire: `${NOTHING_SENT} The services table (\`/etc/services\`) has no such name or port for the protocol.`,
    python: "`OSError` `service/proto not found` from `socket.getservbyname()`, or `port/proto not found` from `getservbyport()`",
    cause: '`service`: no such service or port for the protocol',
  },
  {
    code: 'EBADADDR',
    origin: 'Socket Lab',
    wire: `${NOTHING_SENT} The address text does not parse.`,
    python: '`OSError` `illegal IP address string passed to inet_aton` from `socket.inet_aton()` (and `inet_pton()`); `OSError` from `inet_ntoa()` of bytes that are not 4 long, `ValueError` from `inet_ntop()` of a wrong length',
    cause: 'a HOST:PORT from variables that does not parse. A `resolve` server from variables that is not an IP address with an optional port. `aton` or `pton` of an invalid address. `ntoa` of hex from variables that is not 4 bytes, `ntop` of hex from variables that is not 4 or 16 bytes',
  },
  {
    code: 'EBADPAYLOAD',
    origin: 'Socket Lab',
    wire: `${NOTHING_SENT} The payload's bytes could not be made.`,
    python: '`ValueError` from `bytes.fromhex()` (`non-hexadecimal number found in fromhex() arg`); `binascii.Error` (a `ValueError`) from `base64.b64decode()`',
    cause: 'bad hex, base64 or escapes that reached a step through variables, including bad hex in `ntoa` and `ntop`',
  },
  {
    code: 'ECAPTURE',
    origin: 'Socket Lab',
    wire: 'nothing new. The capture read the last value received, and found nothing to take in it.',
    python: "`AttributeError: 'NoneType' object has no attribute 'group'` when `re.search()` found nothing and the program did not check",
    cause: 'a `capture` found nothing to take: its regex does not match, a group took no part, the value has no such line, or nothing was received before it (§8.11)',
  },
  {
    code: 'ESTARTTLS',
    origin: 'Socket Lab',
    wire: `${NOTHING_SENT} The handshake did not start. Bytes the steps had not read were waiting (they came in the clear before the handshake, where a man in the middle can inject them), or the connection was TLS already, closed or half-closed.`,
    python: "no single exception: `SSLContext.wrap_socket()` does not look for bytes that came early, the program must; `smtplib`'s `starttls()` raises `SMTPNotSupportedError` when the server does not offer it",
    cause: '`starttls` could not start: bytes the steps had not read were queued (they came before the handshake, in the clear), or the connection was TLS already, closed or half-closed (§6.1.1)',
  },
  {
    code: 'EVARIABLE',
    origin: 'Socket Lab',
    wire: `${NOTHING_SENT} The step's text could not be made.`,
    python: "`NameError` or `KeyError`: a name with no value (`os.environ['NAME']` raises `KeyError`)",
    cause: '`{{NAME}}` of a listener that is not running, or of a capture not yet made. A listener field it does not have. A variable that refers to itself. `{{$env NAME}}` of a variable that is not set, or while reading the environment is off (§3.4). `use NAME` of a connection that is not open (§6.2)',
  },
  {
    code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    origin: 'TLS (OpenSSL)',
    hint: 'certificate verification failed: self-signed certificate; trust it with ca FILE, or add insecure to skip verification',
    wire: `the handshake brought the server's certificate: one certificate, signed by itself, that no trusted CA vouches for; ${TLS_REFUSED}.`,
    python: TLS_VERIFY_PYTHON(18, 'self-signed certificate'),
    cause: TLS_VERIFY_CAUSE,
    tlsVerify: true,
  },
  {
    code: 'SELF_SIGNED_CERT_IN_CHAIN',
    origin: 'TLS (OpenSSL)',
    hint: 'certificate verification failed: self-signed certificate in the chain; trust its root with ca FILE, or add insecure',
    wire: `the handshake brought the server's chain, which ends in a self-signed root that is not among the trusted CAs; ${TLS_REFUSED}.`,
    python: TLS_VERIFY_PYTHON(19, 'self-signed certificate in certificate chain'),
    cause: TLS_VERIFY_CAUSE,
    tlsVerify: true,
  },
  {
    code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    origin: 'TLS (OpenSSL)',
    hint: 'certificate verification failed: unknown issuer; trust it with ca FILE, or add insecure',
    wire: `the handshake brought the server's certificate alone, and its issuer is neither sent nor trusted (a server that leaves out its intermediate certificate); ${TLS_REFUSED}.`,
    python: TLS_VERIFY_PYTHON(21, 'unable to verify the first certificate'),
    cause: TLS_VERIFY_CAUSE,
    tlsVerify: true,
  },
  {
    code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    origin: 'TLS (OpenSSL)',
    hint: 'certificate verification failed: unknown issuer; trust it with ca FILE, or add insecure',
    wire: `the handshake brought the server's chain, and the CA that issued it is not among the trusted CAs (a private CA); ${TLS_REFUSED}.`,
    python: TLS_VERIFY_PYTHON(20, 'unable to get local issuer certificate'),
    cause: TLS_VERIFY_CAUSE,
    tlsVerify: true,
  },
  {
    code: 'CERT_HAS_EXPIRED',
    origin: 'TLS (OpenSSL)',
    hint: 'certificate verification failed: the certificate has expired',
    wire: `the handshake brought the server's certificate, whose notAfter date has passed (or this machine's clock is wrong); ${TLS_REFUSED}.`,
    python: TLS_VERIFY_PYTHON(10, 'certificate has expired'),
    cause: TLS_VERIFY_CAUSE,
    tlsVerify: true,
  },
  {
    code: 'CERT_NOT_YET_VALID',
    origin: 'TLS (OpenSSL)',
    hint: 'certificate verification failed: the certificate is not yet valid',
    wire: `the handshake brought the server's certificate, whose notBefore date is still to come (or this machine's clock is wrong); ${TLS_REFUSED}.`,
    python: TLS_VERIFY_PYTHON(9, 'certificate is not yet valid'),
    cause: TLS_VERIFY_CAUSE,
    tlsVerify: true,
  },
  {
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    origin: 'TLS (Node)',
    hint: 'certificate verification failed: the certificate does not name this host; set servername, or add insecure',
    wire: `the handshake brought a certificate that a trusted CA vouches for, but none of its names (subjectAltName) is the host or \`servername\`; ${TLS_REFUSED}.`,
    python: "`ssl.SSLCertVerificationError` from `wrap_socket()` or `do_handshake()`: `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'HOST'`, with `verify_code` 62",
    cause: '`connect tls`: the certificate does not name the host or `servername`',
    tlsVerify: true,
  },
  {
    code: 'ERR_SSL_WRONG_VERSION_NUMBER',
    origin: 'TLS (OpenSSL)',
    hint: 'TLS handshake failed: the peer does not speak TLS here',
    wire: 'the client sent its ClientHello, and what came back was not a TLS record: a plain-text protocol answered (an HTTP or SMTP greeting, say).',
    python: '`ssl.SSLError` `[SSL: WRONG_VERSION_NUMBER] wrong version number` from `wrap_socket()` or `do_handshake()`',
    cause: '`connect tls` or `starttls` to a peer that does not speak TLS there, such as a plain-text port',
  },
  {
    code: 'ERR_SSL_…',
    origin: 'TLS (OpenSSL)',
    wire: 'the TLS handshake failed: a side sent an alert, or the two agreed on no version or cipher suite. The code names OpenSSL\'s reason.',
    python: "`ssl.SSLError` from `wrap_socket()` or `do_handshake()`, whose message names the same reason: `[SSL: REASON] …`",
    cause: SSL_CAUSE,
  },
  {
    code: 'ERR_OSSL_…',
    origin: 'TLS (OpenSSL)',
    wire: `${NOTHING_SENT} A \`cert\` or \`key\` file could not be loaded. The code names OpenSSL's reason.`,
    python: '`ssl.SSLError` `[SSL] PEM lib` from `SSLContext.load_cert_chain()`, or an `ssl.SSLError` from `load_verify_locations()`',
    cause: SSL_CAUSE,
  },
  {
    code: 'EUNKNOWN',
    origin: 'Socket Lab',
    wire: 'unknown: the error came without a code. Its message says what failed.',
    python: 'whatever the call raised; the message is the same',
    cause: 'an error with no code',
  },
];

const BY_CODE = new Map(ERROR_CODES.map((e) => [e.code, e]));
const FAMILIES = ERROR_CODES.filter((e) => e.code.endsWith('…'));

/**
 * The table's entry for a code: its own, else its family's (`ERR_SSL_BAD_RECORD_MAC` → `ERR_SSL_…`).
 *
 * @returns undefined for a code the table does not know
 */
export function errorCodeInfo(code: string): ErrorCodeInfo | undefined {
  return BY_CODE.get(code) ?? FAMILIES.find((f) => code.startsWith(f.code.slice(0, -1)));
}

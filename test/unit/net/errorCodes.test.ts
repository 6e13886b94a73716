import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, errorCodeInfo, type ErrorCodeInfo } from '../../../src/net/errorCodes';
import { fromNodeError, TLS_VERIFY_CODES } from '../../../src/net/errors';
import { ROOT } from '../helpers';

const SPEC = readFileSync(join(ROOT, 'docs', 'sock-language.md'), 'utf8');

/** The rows of the spec's §10.3 table, as written. */
function specRows(): string[] {
  const section = SPEC.slice(SPEC.indexOf('### 10.3 Error codes'), SPEC.indexOf('## 11. Diagnostics'));
  const header = section.indexOf('| Code | Origin | Typical cause |');
  assert.ok(header >= 0, 'the spec has its code table in §10.3');
  const lines = section.slice(header).split('\n');
  const end = lines.findIndex((l) => !l.startsWith('|'));
  return lines.slice(2, end < 0 ? undefined : end);
}

/** The rows the code table prints: codes in a row share their origin and cause, one after another. */
function tableRows(): string[] {
  const groups: ErrorCodeInfo[][] = [];
  for (const e of ERROR_CODES) {
    const last = groups[groups.length - 1]?.[0];
    if (last && last.origin === e.origin && last.cause === e.cause) groups[groups.length - 1].push(e);
    else groups.push([e]);
  }
  return groups.map((g) => `| ${g.map((e) => `\`${e.code}\``).join(', ')} | ${g[0].origin} | ${g[0].cause} |`);
}

/** The codes a row names, in its first column. */
function codesOf(row: string): string[] {
  return [...row.split(' | ')[0].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

describe('the error code table', () => {
  it("names the same codes as the spec's §10.3 table", () => {
    const spec = specRows().flatMap(codesOf);
    const table = ERROR_CODES.map((e) => e.code);
    assert.deepEqual(spec.filter((c) => !table.includes(c)), [], 'in the spec, not in src/net/errorCodes.ts');
    assert.deepEqual(table.filter((c) => !spec.includes(c)), [], 'in src/net/errorCodes.ts, not in the spec');
  });

  it("is the source of the spec's §10.3 table: each row's origin and cause are the table's words", () => {
    // On a difference, copy the expected rows into docs/sock-language.md §10.3.
    assert.deepEqual(specRows(), tableRows());
  });

  it('explains every code a person meets: wire, Python and cause, once each', () => {
    const required = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EADDRINUSE', 'EADDRNOTAVAIL', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EACCES', 'ENOENT', 'EAI_AGAIN', 'EMSGSIZE',
      'EOF', 'ETOOBIG', 'ECLOSED', 'ECANCELED', 'ESERVICE', 'EBADADDR', 'EBADPAYLOAD', 'ECAPTURE', 'ESTARTTLS', 'EVARIABLE', 'ENODATA', 'EREFUSED', 'ESERVFAIL', 'ETIMEOUT', 'EBADRESP',
      'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED'];
    assert.deepEqual(required.filter((c) => errorCodeInfo(c) === undefined), []);
    assert.equal(new Set(ERROR_CODES.map((e) => e.code)).size, ERROR_CODES.length, 'a code is declared twice');
    for (const e of ERROR_CODES) {
      for (const text of [e.wire, e.python, e.cause]) {
        assert.ok(text.length > 10 && !text.includes('|'), `${e.code}: "${text}" (a table cell holds no |)`);
        assert.equal((text.match(/`/g) ?? []).length % 2, 0, `${e.code}: an unclosed code span in "${text}"`);
      }
    }
  });

  it('says the Python exception a program would see, by the errno mapping of PEP 3151', () => {
    const python = (code: string): string => errorCodeInfo(code)?.python ?? '';
    assert.match(python('ECONNREFUSED'), /^`ConnectionRefusedError` \(errno ECONNREFUSED\) from `connect\(\)`/);
    assert.match(python('ECONNRESET'), /^`ConnectionResetError`/);
    assert.match(python('EPIPE'), /^`BrokenPipeError`/);
    assert.match(python('ETIMEDOUT'), /`TimeoutError`.*`socket\.timeout`/);
    assert.match(python('EADDRINUSE'), /^`OSError` with `errno\.EADDRINUSE` from `bind\(\)`/);
    assert.match(python('ENOTFOUND'), /^`socket\.gaierror` .*EAI_NONAME.*`getaddrinfo\(\)`, `gethostbyname\(\)`/);
    assert.match(python('EAI_AGAIN'), /^`socket\.gaierror`/);
    assert.match(python('EACCES'), /^`PermissionError`/);
    assert.match(python('ENOENT'), /^`FileNotFoundError`/);
    assert.match(python('EOF'), /returned `b''` before the delimiter/);
    for (const code of TLS_VERIFY_CODES) assert.match(python(code), /^`ssl\.SSLCertVerificationError`/, code);
  });

  it('gives a code of a family its family, and nothing for a code it does not know', () => {
    assert.equal(errorCodeInfo('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE')?.code, 'ERR_SSL_…');
    assert.equal(errorCodeInfo('ERR_SSL_WRONG_VERSION_NUMBER')?.code, 'ERR_SSL_WRONG_VERSION_NUMBER');
    assert.equal(errorCodeInfo('ERR_OSSL_PEM_NO_START_LINE')?.code, 'ERR_OSSL_…');
    assert.equal(errorCodeInfo('ECONNREFUSE'), undefined);
  });

  it("words an OS error's message with the table's hint, and lists the certificate codes insecure skips", () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', errno: -111 });
    assert.equal(fromNodeError(err, 'connect tcp 127.0.0.1:1').message, 'connect tcp 127.0.0.1:1: connection refused: nothing is listening there (ECONNREFUSED)');
    assert.deepEqual([...TLS_VERIFY_CODES].sort(), ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
  });
});

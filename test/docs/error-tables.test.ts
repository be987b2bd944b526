/**
 * The READMEs' error and close-code tables are the registries of the code, written out: every code
 * a package can throw is listed with its kind (and its HTTP status or close code), and nothing is
 * listed that the code cannot throw.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CDK_ERROR_CODES } from '@icws/backend-cdk';
import { CLIENT_ERROR_CODES } from '@icws/client-sdk';
import { CLOSE_CODES, PROTOCOL_ERROR_CODES, type ErrorCodeInfo } from '@icws/protocol';
import { GATEWAY_ERROR_CODES } from '../../packages/gateway/src/errors';
import { REPLICA_ERROR_CODES } from '../../packages/replica/src/errors';

const ROOT = join(__dirname, '../..');
const readme = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** @returns the rows of the first table after `heading`, as arrays of cells without backticks. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const lines = markdown.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim().replace(/`/g, '')));
  }
  return rows;
}

function expectTableOfRegistry(rows: string[][], registry: Readonly<Record<string, ErrorCodeInfo>>, extra?: (info: ErrorCodeInfo) => string): void {
  const listed = rows.map(([code, kind, third]) => (extra ? [code, kind, third] : [code, kind]));
  const expected = Object.entries(registry).map(([code, info]) => (extra ? [code, info.kind, extra(info)] : [code, info.kind]));
  expect(listed.sort()).toEqual(expected.sort());
}

describe('README error tables', () => {
  const root = readme('README.md');

  it('lists every code of @icws/protocol with its kind', () => {
    expectTableOfRegistry(tableAfter(root, '### `@icws/protocol`: `ProtocolError` (`PROTOCOL_ERROR_CODES`)'), PROTOCOL_ERROR_CODES);
  });

  it('lists every code of @icws/backend-cdk with its kind', () => {
    expectTableOfRegistry(tableAfter(root, '### `@icws/backend-cdk`: `CdkError` (`CDK_ERROR_CODES`)'), CDK_ERROR_CODES);
  });

  it('lists every code of @icws/replica with its kind and HTTP status', () => {
    expectTableOfRegistry(tableAfter(root, '### `@icws/replica`: `ReplicaError` (`REPLICA_ERROR_CODES`)'), REPLICA_ERROR_CODES, (info) =>
      info.httpStatus === undefined ? '–' : String(info.httpStatus),
    );
  });

  it('lists every code of @icws/gateway with its kind and the close code it ends a session with', () => {
    expectTableOfRegistry(tableAfter(root, '### `@icws/gateway`: `GatewayError` (`GATEWAY_ERROR_CODES`)'), GATEWAY_ERROR_CODES, (info) =>
      info.closeCode === undefined ? '–' : String(info.closeCode),
    );
  });

  it('lists every code of @icws/client-sdk with its kind and the close code it ends a connection with', () => {
    expectTableOfRegistry(tableAfter(readme('packages/client-sdk/README.md'), '## Errors'), CLIENT_ERROR_CODES, (info) => String(info.closeCode));
  });

  it('names no code that no registry has', () => {
    const known = new Set([PROTOCOL_ERROR_CODES, CDK_ERROR_CODES, REPLICA_ERROR_CODES, GATEWAY_ERROR_CODES, CLIENT_ERROR_CODES].flatMap((registry) => Object.keys(registry)));
    const documents = ['README.md', 'packages/client-sdk/README.md', 'packages/backend-cdk/README.md', 'packages/replica/README.md', 'packages/protocol/README.md', 'packages/gateway/README.md'];
    const unknown = documents.flatMap((path) => [...readme(path).matchAll(/ICWS_ERR_[A-Z0-9_]*[A-Z0-9]/g)].map(([code]) => `${path}: ${code}`).filter((entry) => !known.has(entry.split(': ')[1])));
    expect(unknown).toEqual([]);
  });
});

describe('README close-code tables', () => {
  const expected = Object.entries(CLOSE_CODES).map(([name, info]) => [String(info.code), name, info.reconnect ? 'yes' : 'no']);

  it.each(['README.md', 'packages/client-sdk/README.md'])('%s lists every close code with its name and whether clients reconnect', (path) => {
    const rows = tableAfter(readme(path), '## Close codes').map(([code, name, , , reconnects]) => [code, name, reconnects]);
    expect(rows).toEqual(expected);
  });
});

import type { mongo } from 'mongoose';
import { withConnection } from './support.js';

/**
 * Failpoints for the failover tests: `configureFailPoint` with `failCommand`, which needs the members started with
 * `--setParameter enableTestCommands=1` (mongo-replica.yml does). A failpoint belongs to one mongod: set through a
 * replica-set connection it lands on the primary, where the store's commands go. The pure parts (the command
 * documents, the connection strings) are unit-tested without a server in test/store/mongo-failpoints.test.ts.
 */

export type FailPointMode = 'alwaysOn' | 'off' | { times: number };

export interface FailCommandData {
  /** Command names to fail: 'getMore', 'commitTransaction', 'delete', 'findAndModify', ... */
  failCommands: string[];
  /** Only commands from clients with this appName (a store opened with ?appName=...). */
  appName?: string;
  /** Only commands on this namespace ("db.collection"). */
  namespace?: string;
  errorCode?: number;
  /** The labels of the error; [] makes an error the driver would otherwise label (and so retry) unlabelled. */
  errorLabels?: string[];
  closeConnection?: boolean;
  blockConnection?: boolean;
  blockTimeMS?: number;
}

/** The configureFailPoint command for failCommand. */
export function failCommand(mode: FailPointMode, data?: FailCommandData): mongo.Document {
  if (mode === 'off') return { configureFailPoint: 'failCommand', mode: 'off' };
  if (!data || data.failCommands.length === 0) throw new Error('failCommand needs the commands to fail');
  if (data.blockConnection && !(data.blockTimeMS && data.blockTimeMS > 0))
    throw new Error('blockConnection needs blockTimeMS');
  const defined = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
  return { configureFailPoint: 'failCommand', mode, data: defined };
}

/** Any other failpoint by name (stopReplProducer, rsSyncApplyStop, ...). */
export function namedFailPoint(name: string, mode: FailPointMode): mongo.Document {
  return { configureFailPoint: name, mode };
}

/** `uri` with these query parameters set (replacing any of the same name). */
export function uriWithParams(uri: string, params: Record<string, string>): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(\/[^?]*)?(?:\?(.*))?$/.exec(uri);
  if (!m) throw new Error('not a mongodb:// connection string');
  const [, head, path, query] = m;
  const names = new Set(Object.keys(params).map((k) => k.toLowerCase()));
  const kept = (query ? query.split('&') : []).filter((p) => p && !names.has(p.split('=')[0]!.toLowerCase()));
  const added = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return `${head}${path || '/'}?${[...kept, ...added].join('&')}`;
}

/**
 * A direct connection to one member (`host:port`, as `hello` names it), with the URI's credentials and options but
 * not its replicaSet: what it takes to set a failpoint on a secondary, or to turn one off on a former primary.
 */
export function memberUri(uri: string, member: string): string {
  const m = /^mongodb:\/\/(?:([^@/?]*)@)?[^/?]*(\/[^?]*)?(?:\?(.*))?$/.exec(uri);
  if (!m) throw new Error('memberUri needs a mongodb:// connection string (not mongodb+srv)');
  const [, credentials, path, query] = m;
  const params = (query ? query.split('&') : []).filter((p) => !/^(replicaSet|directConnection)=/i.test(p));
  const auth = credentials ? `${credentials}@` : '';
  return `mongodb://${auth}${member}${path || '/'}?${[...params, 'directConnection=true'].join('&')}`;
}

/** Runs a configureFailPoint document as an admin command; answers how often the failpoint had fired before. */
export async function configure(uri: string, command: mongo.Document): Promise<number> {
  return withConnection(uri, async (conn) => {
    const res = await conn.db!.admin().command(command);
    return typeof res.count === 'number' ? res.count : 0;
  });
}

/**
 * Waits until the failpoint has fired `timesEntered` times in all (waitForFailPoint, a test command), e.g. until a
 * blocked getMore is really blocked, so that what the test does next happens inside the window.
 */
export async function waitForFailPoint(uri: string, name: string, timesEntered: number, maxTimeMS = 30_000) {
  await withConnection(uri, (conn) => conn.db!.admin().command({ waitForFailPoint: name, timesEntered, maxTimeMS }));
}

/** The replica set's members as `hello` names them, and the current primary. */
export async function members(uri: string): Promise<{ primary: string; secondaries: string[] }> {
  return withConnection(uri, async (conn) => {
    const hello = await conn.db!.admin().command({ hello: 1 });
    const hosts = (hello.hosts as string[]) ?? [];
    return { primary: hello.primary as string, secondaries: hosts.filter((h) => h !== hello.primary) };
  });
}

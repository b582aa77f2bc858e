/**
 * The main fan-out scenario: one public room of S distinct members, each with one stream (its own access token and
 * session), the poster not among them; the same rate search as scenarios/fanout.ts. The Socket.IO peer and the raw
 * ceiling have no users: their S clients are distinct connections there anyway, so they run fanout() unchanged.
 */
import { seedRoom, startSeeded, type MemberSeed } from '../lib/members.js';
import { fanout, type FanoutConfig, type SizeResult, type System } from './fanout.js';

export function membersFanout(
  system: System,
  seed: MemberSeed,
  cfg: Omit<FanoutConfig, 'members'>,
  /** The stream each member opens (default: the room's own). */
  streamPath?: string,
): Promise<SizeResult[]> {
  if (system !== 'parley') return fanout(system, cfg);
  return fanout(system, {
    ...cfg,
    async members(S) {
      const room = seedRoom(seed, S);
      const server = await startSeeded(seed, { cpuProfDir: process.env.BENCH_CPU_PROF });
      return { server, roomId: room.roomId, tokens: room.tokens, posterToken: seed.posterToken, streamPath };
    },
  });
}

/**
 * Web members: the same room and rate search, but each member follows `/api/events`, the one stream the web client
 * opens, and is in other rooms too (the seed's `otherRooms`). Its ids carry a position per room, or a base and the
 * rooms that moved, so this is where their cost shows.
 */
export function webMembersFanout(seed: MemberSeed, cfg: Omit<FanoutConfig, 'members'>): Promise<SizeResult[]> {
  return membersFanout('parley', seed, cfg, '/api/events');
}

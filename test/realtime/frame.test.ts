import t from 'tap';
import { contiguousFrames, encodeEvent, encodeEvents } from '../../server/realtime/frame.js';
import { eventJson, withEventJson } from '../../server/store/event-json.js';
import type { RoomEvent } from '../../server/store/store.js';

/** Frames on their own: a page encoded into one buffer must carry exactly the bytes each event encodes to alone. */

const actor = {
  id: 'u1',
  username: 'ann',
  displayName: 'Ann — Ünïcødé 🎉',
  gender: 'unspecified',
  avatar: null,
} as const;
function event(seq: number, text: string): RoomEvent {
  return {
    roomId: 'AbCdEfGhIjKlMnOp',
    seq,
    type: 'message.created',
    actor,
    at: new Date(seq).toISOString(),
    payload: { text },
  };
}

/** The event as a store read gives it: its JSON as an ASCII prefix followed by UTF-8 bytes (see event-json.ts). */
function stored(seq: number, text: string): RoomEvent {
  const e = event(seq, text);
  const json = JSON.stringify(e);
  const cut = json.indexOf('"actor"');
  return withEventJson({ ...e }, { prefix: json.slice(0, cut), bytes: Buffer.from(json.slice(cut)) });
}

const texts = ['plain', 'emoji 🎉 and ünïcødé', '', 'line\nbreak "quoted" \\ back', '長い文字列'.repeat(50)];

t.test('a page encodes to the same frames as its events one by one, back to back in one buffer', async (t) => {
  for (const [name, make] of [
    ['events built in memory', event],
    ['events with stored JSON', stored],
  ] as const) {
    const events = texts.map((text, i) => make(i + 1, text));
    const page = encodeEvents(events);
    const alone = texts.map((text, i) => encodeEvent(event(i + 1, text)));
    t.same(
      page.map((e) => e.frame.toString()),
      alone.map((e) => e.frame.toString()),
      `${name}: the same frames`,
    );
    t.same(
      page.map((e) => e.body.toString()),
      alone.map((e) => e.body.toString()),
      `${name}: the same bodies (the frame without its id line)`,
    );
    t.ok(
      page.every((e) => e.frame.buffer === page[0]!.frame.buffer),
      `${name}: every frame is a view of one buffer`,
    );
    t.same(
      events.map((e) => JSON.parse(eventJson(e))),
      texts.map((text, i) => JSON.parse(JSON.stringify(event(i + 1, text)))),
      `${name}: each event's JSON is still whole after encoding`,
    );
  }
});

t.test('a run of a page is one view of its bytes; frames encoded apart are not', async (t) => {
  const page = encodeEvents(texts.map((text, i) => stored(i + 1, text)));
  const run = page.slice(1, 4);
  const joined = contiguousFrames(run)!;
  t.ok(joined, 'a run of a page lies back to back');
  t.equal(joined.toString(), Buffer.concat(run.map((e) => e.frame)).toString(), 'its bytes are the frames in order');
  t.equal(joined.buffer, page[0]!.frame.buffer, 'a view, not a copy');
  t.equal(contiguousFrames([page[0]!, page[2]!]), null, 'frames with a gap between them are not one run');
  t.equal(contiguousFrames([page[1]!, page[0]!]), null, 'nor frames out of order');
  const apart = texts.map((text, i) => encodeEvent(event(i + 1, text)));
  t.equal(contiguousFrames(apart.slice(0, 2)), null, 'frames encoded one by one are joined by the caller');
  t.equal(contiguousFrames([page[4]!, ...encodeEvents([stored(6, 'next page')])]), null, 'nor two pages');
});

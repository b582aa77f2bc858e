import t from 'tap';
import type { Page } from 'playwright-core';
import { openFixture, type ApiHandler, type ApiRequest } from './elements.js';
import { newPage, waitFor, withBrowser } from './harness.js';

/**
 * Each element mounted on its own with a fake state (a ChatClient filled by hand, no server), in a real browser:
 * what it shows, what it asks the server, and which state changes re-render it.
 */

const suite = withBrowser(t, { server: false });

/** The fake state: me (alice), a copycat "Alice" (bob), two rooms of mine, one to join, a direct room, a history. */
const SEED = `(() => {
  const f = window.fixture, c = f.client, at = (m) => new Date(Date.UTC(2026, 11, 1, 12, m)).toISOString();
  const me = { id: 'u1', username: 'alice', displayName: 'Alice', gender: 'female', avatar: 'fox', email: 'a@example.com', createdAt: at(0), updatedAt: at(0) };
  const bob = { id: 'u2', username: 'bob', displayName: 'Alice', gender: 'male', avatar: null };
  const carl = { id: 'u3', username: 'carl', displayName: 'Carl', gender: 'other', avatar: 'owl' };
  window.people = { me, bob, carl };
  const membership = (roomId, userId, role) => ({ roomId, userId, role, joinedAt: at(0), deliveredSeq: 0, readSeq: 0 });
  const room = (id, name, kind, role, extra = {}) => ({ id, name, topic: '', kind, ownerId: 'u1', createdAt: at(0), updatedAt: at(0), lastSeq: 3,
    membership: role ? membership(id, 'u1', role) : null, joined: !!role, unread: 0, peer: null, ...extra });
  c.session.store.set({ me, authChecked: true });
  c.rooms.store.set({ loaded: true, openRoomId: null, unread: new Map([['r2', 2]]), rooms: new Map([
    ['r1', room('r1', 'General', 'public', 'owner')],
    ['r2', room('r2', 'Side', 'private', 'member')],
    ['r3', room('r3', 'Open house', 'public', null)],
    ['d1', room('d1', 'Alice', 'direct', 'member', { peer: bob })],
  ]) });
  c.members.store.set({ profiles: new Map(), counts: new Map(), partial: new Set(), more: new Map([['r1', null]]), byRoom: new Map([['r1', [
    { ...membership('r1', 'u1', 'owner'), user: me, online: true },
    { ...membership('r1', 'u2', 'admin'), user: bob, online: true },
    { ...membership('r1', 'u3', 'member'), user: carl, online: false },
  ]]]) });
  const msg = (seq, author, text) => ({ roomId: 'r1', seq, author, text, attachments: [], createdAt: at(seq), editedAt: null, deletedAt: null, clientId: null });
  window.msg = msg;
  const T = f.timeline;
  c.timelines.of('r1').set({ ...T.putMessages(T.emptyTimeline(), [msg(1, bob, 'hello from the copy'), msg(2, me, 'hi'), msg(3, carl, 'hey all')]), loaded: true, hasMore: false });
})()`;

// One page for the file (the bundle loads once); each test starts from a new client with the same fake state.
let page: Page;
let problems: string[];
let requests: ApiRequest[];
let handler: ApiHandler | undefined;

t.before(async () => {
  const opened = await newPage(suite.browser, { width: 1280, height: 720 });
  ({ page, problems } = opened);
  t.teardown(() => opened.context.close());
  ({ requests } = await openFixture(page, (route, ...rest) =>
    handler ? handler(route, ...rest) : route.fulfill({ status: 503, contentType: 'application/json', body: '{}' }),
  ));
});

/** A new client with the fake state; API requests go to `api` (by default: 503, as if the server were down). */
async function fixturePage(api?: ApiHandler): Promise<{ page: Page; problems: string[]; requests: ApiRequest[] }> {
  handler = api;
  requests.length = 0;
  await page.evaluate(`window.fixture.client = new window.fixture.ChatClient(); document.body.replaceChildren()`);
  await page.evaluate(SEED);
  return { page, problems, requests };
}

const renders = (page: Page) => page.evaluate('({ ...window.fixture.renders })') as Promise<Record<string, number>>;

t.test('every element mounts with a fake state', async (t) => {
  const { page, problems } = await fixturePage();
  const rendered = (await page.evaluate(`(async () => {
    const shown = [];
    for (const tag of window.fixture.TAGS) {
      const room = ['parley-chat', 'parley-room-view', 'parley-timeline', 'parley-members', 'parley-composer'].includes(tag);
      const el = window.fixture.mount(tag, room ? { roomId: 'r1' } : {});
      await el.updateComplete;
      if (el.shadowRoot && el.shadowRoot.childNodes.length) shown.push(tag);
    }
    return [window.fixture.TAGS, shown];
  })()`)) as [string[], string[]];
  t.equal(rendered[0].length, 17, 'every element of the client');
  t.same(rendered[1], rendered[0], 'each renders');
  t.same(problems, [], 'no page errors');
});

t.test(
  'a typing notice re-renders the typing line, not the room list or the timeline; a message re-renders the timeline',
  async (t) => {
    const { page, problems } = await fixturePage();
    await page.evaluate(`window.fixture.mount('parley-chat', { roomId: 'r1' }).updateComplete`);
    await page.locator('parley-timeline [data-testid="message-text"]', { hasText: 'hey all' }).waitFor();
    await page.locator('parley-members li[data-username="carl"]').waitFor();
    await page.evaluate('window.fixture.countRenders()');
    await page.waitForTimeout(200);
    await page.evaluate('window.fixture.resetRenders()');

    await page.evaluate(
      `window.fixture.client.typing.apply({ roomId: 'r1', user: window.people.bob, expiresInMs: 5000 })`,
    );
    await page.locator('parley-room-view .typing', { hasText: 'Alice is typing' }).waitFor();
    const afterTyping = await renders(page);
    t.ok(afterTyping['parley-room-view']! >= 1, 'the room view (its typing line) re-rendered');
    for (const tag of [
      'parley-rooms',
      'parley-timeline',
      'parley-members',
      'parley-chat',
      'parley-composer',
      'parley-message',
    ]) {
      t.notOk(afterTyping[tag], `${tag} did not re-render for a typing notice`);
    }

    await page.evaluate('window.fixture.resetRenders()');
    await page.evaluate(`window.fixture.client.applyEvent({ roomId: 'r1', seq: 4, type: 'message.created', actor: window.people.bob,
    at: new Date().toISOString(), payload: { message: window.msg(4, window.people.bob, 'a new message') } })`);
    await page.locator('parley-timeline [data-testid="message-text"]', { hasText: 'a new message' }).waitFor();
    const afterMessage = await renders(page);
    t.ok(afterMessage['parley-timeline']! >= 1, 'the timeline re-rendered for a new message');
    t.equal(afterMessage['parley-message'], 1, 'only the new message rendered');
    t.notOk(afterMessage['parley-rooms'], 'the room list did not (the room is open: no unread count changed)');
    t.equal(await page.locator('parley-room-view .typing').textContent(), '', 'the author stopped typing');

    await page.evaluate('window.fixture.resetRenders()');
    await page.evaluate(`window.fixture.client.applyEvent({ roomId: 'r2', seq: 9, type: 'message.created', actor: window.people.carl,
    at: new Date().toISOString(), payload: { message: { ...window.msg(9, window.people.carl, 'elsewhere'), roomId: 'r2' } } })`);
    await page.locator('parley-rooms a[data-room-id="r2"] [data-testid="unread"]', { hasText: '3' }).waitFor();
    const afterOther = await renders(page);
    t.ok(afterOther['parley-rooms']! >= 1, 'a message in another room re-renders the room list (its unread count)');
    t.notOk(afterOther['parley-timeline'], 'but not the open timeline');

    await page.evaluate('window.fixture.resetRenders()');
    await page.evaluate(
      `window.fixture.client.members.applyPresence({ roomId: 'r1', online: 2, complete: true, snapshot: false,
      changes: [{ userId: window.people.carl.id, online: true }] })`,
    );
    await page.locator('parley-members li[data-username="carl"] .dot[data-online="true"]').waitFor();
    const afterPresence = await renders(page);
    t.ok(afterPresence['parley-members']! >= 1, 'presence re-renders the members list');
    t.notOk(afterPresence['parley-rooms'], 'not the room list');
    t.notOk(afterPresence['parley-timeline'], 'not the timeline');
    t.same(problems, []);
  },
);

t.test('people are named with their @username, so a copied display name is told apart', async (t) => {
  const { page } = await fixturePage();
  await page.evaluate(`window.fixture.mount('parley-chat', { roomId: 'r1' }).updateComplete`);
  const copy = page.locator('parley-timeline .msg.theirs', { hasText: 'hello from the copy' });
  t.equal(await copy.locator('.meta strong').textContent(), 'Alice', 'the copied display name');
  t.equal(await copy.locator('.meta .handle').textContent(), '@bob', 'beside the real username');
  t.ok(await copy.locator('.meta .handle').isVisible());
  t.match(await page.locator('parley-members li[data-username="bob"]').textContent(), /@bob/, 'members list');
  const dm = page.locator('parley-rooms a[data-room-id="d1"]');
  t.match(await dm.textContent(), /Alice\s*@bob/, 'direct room');
  t.match(await dm.getAttribute('aria-label'), /^Alice \(@bob\)/);
});

t.test(
  'the room settings offer what the policy allows: owners change roles and remove, admins remove members',
  async (t) => {
    const { page } = await fixturePage();
    const open = async () => {
      await page.evaluate(
        `(async () => { const el = window.fixture.mount('parley-room-settings'); await el.updateComplete; await el.open('r1'); })()`,
      );
      await page.getByRole('dialog', { name: 'Room settings' }).waitFor();
    };
    await open();
    const row = (username: string) => page.locator('parley-room-settings li', { hasText: `@${username}` });
    t.equal(await row('bob').getByRole('combobox').count(), 1, 'owner: a role menu for the admin');
    t.same(
      await row('bob').locator('option').allTextContents(),
      ['Member', 'Admin', 'Owner'],
      'roles from the lowest up',
    );
    t.equal(await row('alice').getByRole('combobox').count(), 0, 'no role menu for myself');
    t.equal(
      await row('bob')
        .getByRole('button', { name: /^Remove/ })
        .count(),
      1,
      'owner removes an admin',
    );
    t.equal(
      await row('alice')
        .getByRole('button', { name: /^Remove/ })
        .count(),
      0,
      'not myself',
    );
    t.equal(await page.getByRole('button', { name: 'Delete room' }).count(), 1, 'owner may delete the room');

    // As an admin.
    await page.evaluate(`(() => { const c = window.fixture.client, r = c.rooms.get('r1');
    c.rooms.put({ ...r, membership: { ...r.membership, role: 'admin' } }); })()`);
    await open();
    t.equal(await page.locator('parley-room-settings select').count(), 0, 'admin: no role menus');
    t.equal(
      await row('carl')
        .getByRole('button', { name: /^Remove/ })
        .count(),
      1,
      'admin removes a member',
    );
    t.equal(
      await row('bob')
        .getByRole('button', { name: /^Remove/ })
        .count(),
      0,
      'not another admin',
    );
    t.equal(await page.getByRole('button', { name: 'Delete room' }).count(), 0, 'admin may not delete the room');
  },
);

t.test(
  'the composer posts with a client key and empties; the timeline shows the pending copy, then the stored one',
  async (t) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const { page, requests, problems } = await fixturePage(async (route, method, pathname, body) => {
      if (method === 'POST' && pathname === '/api/rooms/r1/messages') {
        await held;
        const b = body as { text: string; clientId: string };
        const message = {
          roomId: 'r1',
          seq: 4,
          author: { id: 'u1', username: 'alice', displayName: 'Alice', gender: 'female', avatar: 'fox' },
          text: b.text,
          attachments: [],
          createdAt: new Date().toISOString(),
          editedAt: null,
          deletedAt: null,
          clientId: b.clientId,
        };
        return route.fulfill({ status: 201, contentType: 'application/json', body: JSON.stringify({ message }) });
      }
      return route.fulfill({ status: 204 });
    });
    await page.evaluate(`window.fixture.mount('parley-room-view', { roomId: 'r1' }).updateComplete`);
    const box = page.getByLabel('Message General');
    await box.fill('sent from a test');
    await box.press('Enter');
    await page
      .locator('parley-timeline [data-testid="message"][data-status="pending"]', { hasText: 'sent from a test' })
      .waitFor();
    t.equal(await box.inputValue(), '', 'the box empties');
    release();
    await page
      .locator('parley-timeline [data-testid="message"][data-status="sent"][data-seq="4"]', {
        hasText: 'sent from a test',
      })
      .waitFor();
    const post = requests.find((r) => r.method === 'POST' && r.path === '/api/rooms/r1/messages');
    t.match(post?.body, { text: 'sent from a test', clientId: /^[0-9a-f]{32}$/ }, 'posted with a client key');
    t.equal(
      await page.locator('parley-timeline [data-testid="message"][data-status="pending"]').count(),
      0,
      'no pending copy left',
    );
    t.same(problems, []);
  },
);

t.test('the attachment tray shows each image and asks to retry or remove it', async (t) => {
  const { page } = await fixturePage();
  await page.evaluate(`(() => {
    const file = new File([new Uint8Array(10)], 'cat.png', { type: 'image/png' });
    const tray = window.fixture.mount('parley-attachment-tray', { images: [
      { key: 1, file, preview: null, status: 'failed', progress: 0, error: 'could not be uploaded: the connection failed.', retryable: true },
      { key: 2, file: new File([new Uint8Array(2048)], 'dog.png', { type: 'image/png' }), preview: null, status: 'done', progress: 1 },
    ] });
    window.asked = [];
    for (const name of ['retry-image', 'remove-image']) tray.addEventListener(name, (e) => window.asked.push(name + ':' + e.detail.key));
  })()`);
  await page.getByTestId('upload-error').filter({ hasText: 'cat.png could not be uploaded' }).waitFor();
  t.match(await page.locator('[data-testid="draft-image"][data-status="done"]').textContent(), /Ready · 2 KB/);
  await page.getByRole('button', { name: 'Retry cat.png' }).click();
  await page.getByRole('button', { name: 'Remove dog.png' }).click();
  await waitFor('both requests', async () => ((await page.evaluate('window.asked.length')) as number) === 2);
  t.same(await page.evaluate('window.asked'), ['retry-image:1', 'remove-image:2']);
});

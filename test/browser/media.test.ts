import t from 'tap';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { apiCall, apiUser, focusedLabel, loginUi, newPage, screenshot, waitFor, withBrowser } from './harness.js';

/**
 * Image sharing: attach (file picker, paste, drag and drop), a progress bar while uploading, the thumbnail on
 * the other member's screen, the full image in a lightbox, and clear failures (too large, wrong type, network) that
 * keep the text. The server runs with a small upload limit so "too large" needs no big file.
 */

const MAX_BYTES = 100_000;
const suite = withBrowser(t, { env: { UPLOAD_MAX_BYTES: String(MAX_BYTES) } });

const png = (width: number, height: number, background: string) =>
  sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();

/** Random pixels do not compress: a PNG well over the server's limit. */
async function bigPng(): Promise<Buffer> {
  const side = 260;
  const raw = Buffer.alloc(side * side * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = ((i * 2654435761) >>> 24) ^ (i & 0xff);
  return sharp(raw, { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

const composer = (p: Page) => p.getByLabel(/^Message /);
const fileInput = (p: Page) => p.getByTestId('file-input');
const chip = (p: Page) => p.getByTestId('draft-image');

/** How many attachment images loaded (naturalWidth > 0) in the message containing `text` (or the last). */
async function loadedImages(p: Page, selector: string): Promise<number> {
  return p
    .locator(selector)
    .evaluateAll(
      (imgs) =>
        imgs.filter((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0).length,
    );
}

t.test('an image goes from one member to the other, and failures keep the text', async (t) => {
  const ann = await apiUser(suite.server.url, 'ann');
  const ben = await apiUser(suite.server.url, 'ben');
  const room = (
    await apiCall(suite.server.url, 'POST', '/api/rooms', {
      token: ann.token,
      body: { name: 'Photos', kind: 'public' },
    })
  ).body.room;
  await apiCall(suite.server.url, 'POST', `/api/rooms/${room.id}/join`, { token: ben.token });

  const a = await newPage(suite.browser);
  const b = await newPage(suite.browser, { width: 390, height: 844 });
  await Promise.all([
    loginUi(a.page, suite.server.url, ann.username, ann.password),
    loginUi(b.page, suite.server.url, ben.username, ben.password),
  ]);
  await Promise.all([
    a.page.goto(`${suite.server.url}/rooms/${room.id}`),
    b.page.goto(`${suite.server.url}/rooms/${room.id}`),
  ]);
  for (const p of [a.page, b.page]) await p.locator('[data-status="live"]').waitFor();
  const small = await png(64, 48, '#33aa77');

  // 1. The file picker, with the upload held so the progress bar can be seen; the text waits in the box.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await a.page.route('**/api/rooms/*/uploads', async (route) => {
    await held;
    await route.continue();
  });
  await composer(a.page).fill('Look at this');
  await fileInput(a.page).setInputFiles({ name: 'green.png', mimeType: 'image/png', buffer: small });
  await chip(a.page).and(a.page.locator('[data-status="uploading"]')).waitFor();
  await a.page.getByRole('progressbar', { name: 'Uploading green.png' }).waitFor();
  t.pass('a progress bar shows while the image uploads');
  // Enter while uploading: the message goes as soon as the upload is done.
  await composer(a.page).press('Enter');
  await a.page
    .getByTestId('compose-note')
    .filter({ hasText: /when the upload finishes/ })
    .waitFor();
  t.equal(await composer(a.page).inputValue(), 'Look at this', 'the text stays until the message can go');
  release();
  await a.page
    .locator('.msg.mine[data-status="sent"]', { hasText: 'Look at this' })
    .locator('[data-testid="attachment"] img')
    .waitFor();
  await a.page.unroute('**/api/rooms/*/uploads');
  t.equal(await chip(a.page).count(), 0, 'the tray empties once sent');
  t.equal(await composer(a.page).inputValue(), '', 'the box empties once sent');

  // Ben (on a phone) sees the thumbnail, with its space reserved from the image size.
  const benMsg = b.page.locator('.msg.theirs', { hasText: 'Look at this' });
  const thumb = benMsg.locator('[data-testid="attachment"] img');
  await thumb.waitFor();
  t.same(
    [await thumb.getAttribute('width'), await thumb.getAttribute('height')],
    ['64', '48'],
    'thumbnail space reserved from width/height',
  );
  await waitFor(
    'the thumbnail loads',
    async () => (await loadedImages(b.page, '.msg.theirs [data-testid="attachment"] img')) === 1,
  );
  t.match(
    await thumb.getAttribute('src'),
    /^\/api\/uploads\/[\w-]+\/thumbnail$/,
    'the thumbnail comes from the server',
  );
  await screenshot(b.page, 'image-message-390x844');

  // Full image on click: a modal dialog; Escape closes it and focus returns to the thumbnail.
  await benMsg.getByRole('link', { name: 'Image from ann' }).click();
  const box = b.page.getByRole('dialog', { name: /Image from ann/ });
  await box.waitFor();
  await waitFor('the full image loads', async () => (await loadedImages(b.page, 'parley-lightbox img')) === 1);
  t.match(
    await box.locator('img').getAttribute('src'),
    /^\/api\/uploads\/[\w-]+$/,
    'the lightbox shows the full image',
  );
  t.equal(await focusedLabel(b.page), 'Close image', 'focus moves into the lightbox');
  await screenshot(b.page, 'lightbox-390x844');
  await b.page.keyboard.press('Escape');
  await box.waitFor({ state: 'hidden' });
  await waitFor('focus back on the thumbnail', async () => (await focusedLabel(b.page)) === 'Image from ann');
  t.pass('Escape closes the lightbox and focus returns to the thumbnail');

  // 2. Failures: too large, not an image, not a real image, the network. The text is kept every time.
  await composer(a.page).fill('Keep this text');
  await fileInput(a.page).setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: await bigPng() });
  const error = a.page.getByTestId('upload-error');
  await error.filter({ hasText: /huge\.png is too large.*at most 98 KB/ }).waitFor();
  await composer(a.page).press('Enter');
  await a.page
    .getByTestId('compose-note')
    .filter({ hasText: /could not be uploaded.*text is kept/ })
    .waitFor();
  t.equal(await composer(a.page).inputValue(), 'Keep this text', 'too large: explained, text kept, nothing sent');
  await screenshot(a.page, 'upload-too-large-1280x800');
  await a.page.getByRole('button', { name: 'Remove huge.png' }).click();

  await fileInput(a.page).setInputFiles({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('just text'),
  });
  await error.filter({ hasText: /notes\.txt is not an image/ }).waitFor();
  await a.page.getByRole('button', { name: 'Remove notes.txt' }).click();
  await fileInput(a.page).setInputFiles({
    name: 'fake.png',
    mimeType: 'image/png',
    buffer: Buffer.from('this is not a PNG at all'),
  });
  await error.filter({ hasText: /fake\.png (is not a supported image|could not be read)/ }).waitFor();
  await a.page.getByRole('button', { name: 'Remove fake.png' }).click();
  t.pass('wrong types are explained (by the client and by the server)');

  await a.page.route('**/api/rooms/*/uploads', (route) => route.abort('connectionreset'));
  await fileInput(a.page).setInputFiles({
    name: 'blue.png',
    mimeType: 'image/png',
    buffer: await png(40, 80, '#2255dd'),
  });
  await error.filter({ hasText: /blue\.png could not be uploaded: the connection/ }).waitFor();
  await a.page.unroute('**/api/rooms/*/uploads');
  await a.page.getByRole('button', { name: 'Retry blue.png' }).click();
  await chip(a.page).and(a.page.locator('[data-status="done"]')).waitFor();
  t.equal(
    await composer(a.page).inputValue(),
    'Keep this text',
    'network failure: explained, retried, text still there',
  );
  await composer(a.page).press('Enter');
  await b.page
    .locator('.msg.theirs', { hasText: 'Keep this text' })
    .locator('[data-testid="attachment"] img[width="40"][height="80"]')
    .waitFor();
  t.pass('after the failures, the text and the retried image arrive together');

  // 3. Drag and drop, and paste: image-only messages.
  const dropped = await png(300, 200, '#dd8833');
  const dataTransfer = await a.page.evaluateHandle(
    ([bytes, name]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
      return dt;
    },
    [[...dropped], 'dropped.png'] as [number[], string],
  );
  const view = a.page.locator('parley-room-view');
  await view.dispatchEvent('dragover', { dataTransfer });
  await view.locator('.drop').waitFor();
  await view.dispatchEvent('drop', { dataTransfer });
  await chip(a.page).and(a.page.locator('[data-status="done"]')).waitFor();
  await composer(a.page).press('Enter');
  await b.page.locator('.msg.theirs [data-testid="attachment"] img[width="240"][height="160"]').waitFor();
  t.pass('a dropped image is sent and shown on the other side');

  const pasted = await png(50, 50, '#aa22aa');
  await composer(a.page).evaluate(
    (el, bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
      el.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true, composed: true }),
      );
    },
    [...pasted],
  );
  await chip(a.page).and(a.page.locator('[data-status="done"]')).waitFor();
  await composer(a.page).fill('Pasted one');
  await composer(a.page).press('Enter');
  await b.page
    .locator('.msg.theirs', { hasText: 'Pasted one' })
    .locator('[data-testid="attachment"] img[width="50"]')
    .waitFor();
  t.pass('a pasted image is sent and shown on the other side');

  // Desktop screenshots: the conversation with images, and the lightbox.
  await waitFor(
    'ann sees every image',
    async () => (await loadedImages(a.page, '.msg [data-testid="attachment"] img')) === 4,
  );
  await screenshot(a.page, 'image-message-1280x800');
  await a.page.locator('.msg.mine [data-testid="attachment"]').nth(2).click();
  await a.page.getByRole('dialog', { name: /Image from ann/ }).waitFor();
  await waitFor('the full image loads', async () => (await loadedImages(a.page, 'parley-lightbox img')) === 1);
  await screenshot(a.page, 'lightbox-1280x800');
  await a.page.getByRole('button', { name: 'Close image' }).click();

  t.same(a.problems, [], 'no dialogs, page errors or CSP violations for ann');
  t.same(b.problems, [], 'no dialogs, page errors or CSP violations for ben');
  await a.context.close();
  await b.context.close();
});

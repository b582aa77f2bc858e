import { css, svg } from 'lit';

/** Shared control styles for every component's shadow root. */
export const base = css`
  :host { font: inherit; color: inherit; }
  *, *::before, *::after { box-sizing: border-box; }
  [hidden] { display: none !important; }
  .sr-only {
    position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap; border: 0;
  }
  :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
  button, input, textarea, select { font: inherit; color: inherit; }
  button { cursor: pointer; }
  button:disabled { cursor: not-allowed; opacity: 0.6; }
  .btn {
    display: inline-flex; align-items: center; justify-content: center; gap: 0.4rem;
    min-height: 38px; padding: 0.45rem 0.9rem; border-radius: 10px;
    border: 1px solid var(--border); background: var(--surface); font-weight: 600;
  }
  .btn svg { width: 18px; height: 18px; flex: none; }
  .btn:hover:not(:disabled) { background: var(--surface-2); }
  .btn.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
  .btn.primary:hover:not(:disabled) { background: var(--accent-strong); }
  .btn.danger { color: var(--danger); border-color: #fecaca; }
  .btn.danger.solid { background: var(--danger); color: #fff; border-color: var(--danger); }
  .btn.small { min-height: 30px; padding: 0.2rem 0.6rem; font-size: 0.85rem; border-radius: 8px; }
  .icon-btn {
    display: inline-grid; place-items: center; width: 40px; height: 40px; border-radius: 10px;
    border: 1px solid transparent; background: transparent; position: relative;
  }
  .icon-btn:hover { background: var(--surface-2); border-color: var(--border); }
  .icon-btn svg { width: 22px; height: 22px; }
  .field { display: grid; gap: 0.3rem; margin-bottom: 0.9rem; }
  .field label, .label { font-weight: 600; font-size: 0.9rem; }
  .field .hint { color: var(--muted); font-size: 0.82rem; }
  input[type='text'], input[type='email'], input[type='password'], input[type='search'], textarea, select {
    width: 100%; padding: 0.6rem 0.75rem; border: 1px solid #cbd5e1; border-radius: 10px; background: #fff;
  }
  input:focus-visible, textarea:focus-visible, select:focus-visible { outline: 3px solid var(--focus); outline-offset: 0; border-color: var(--accent); }
  [aria-invalid='true'] { border-color: var(--danger) !important; background: #fffafa; }
  .error-text { color: var(--danger); font-size: 0.85rem; font-weight: 500; }
  .alert { padding: 0.6rem 0.8rem; border-radius: 10px; background: var(--danger-soft); color: var(--danger); margin-bottom: 1rem; }
  .badge {
    display: inline-grid; place-items: center; min-width: 1.4rem; height: 1.4rem; padding: 0 0.4rem; border-radius: 999px;
    background: var(--accent); color: #fff; font-size: 0.75rem; font-weight: 700;
  }
  .avatar { display: block; flex: none; border-radius: 50%; }
  a { color: var(--accent-strong); }
  dialog {
    border: none; border-radius: 16px; padding: 0; width: min(480px, calc(100vw - 24px)); max-height: calc(100dvh - 24px);
    box-shadow: var(--shadow); color: var(--text);
  }
  dialog::backdrop { background: rgba(15, 23, 42, 0.45); }
  dialog > form, dialog > .dialog-body { padding: 1.25rem; }
  dialog h2 { margin: 0 0 1rem; font-size: 1.2rem; }
  .dialog-actions { display: flex; justify-content: flex-end; gap: 0.5rem; margin-top: 1rem; flex-wrap: wrap; }
`;

export const icons = {
  menu: 'M3 6h18M3 12h18M3 18h18',
  users:
    'M16 19v-1a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v1M9 10a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7ZM22 19v-1a4 4 0 0 0-3-3.9M16 3.1a3.5 3.5 0 0 1 0 6.8',
  plus: 'M12 5v14M5 12h14',
  settings:
    'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6ZM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1Z',
  send: 'M22 2 11 13M22 2l-7 20-4-9-9-4 20-7Z',
  close: 'M18 6 6 18M6 6l12 12',
  logout: 'M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9',
  hash: 'M4 9h16M4 15h16M10 3 8 21M16 3l-2 18',
  lock: 'M5 11h14v10H5zM8 11V7a4 4 0 0 1 8 0v4',
  edit: 'M12 20h9M16.5 3.5a2.1 2.1 0 1 1 3 3L7 19l-4 1 1-4Z',
  trash: 'M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6',
  down: 'M12 5v14M5 12l7 7 7-7',
  link: 'M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7',
  exit: 'M15 3h4a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-4M10 17l-5-5 5-5M5 12h12',
  attach: 'm21.4 11.1-9.2 9.1a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5',
  retry: 'M21 12a9 9 0 1 1-3-6.7L21 8M21 3v5h-5',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14ZM21 21l-5-5',
  reply: 'M9 14 4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11',
  smile: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20ZM8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01',
  pin: 'M12 17v5M9 3h6l-1 6 4 4v2H6v-2l4-4-1-6Z',
  bell: 'M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.9 1.9 0 0 0 3.4 0',
};

export function icon(name: keyof typeof icons) {
  return svg`<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d=${icons[name]}/></svg>`;
}

import { css } from 'lit';

/** Layout shared by the modal dialogs (create room, room settings, profile, confirm). */
export const dialogStyles = css`
  :host { display: contents; }
  .head { display: flex; align-items: center; gap: 0.5rem; margin-bottom: 1rem; }
  .head h2 { flex: 1; margin: 0; }
  .kinds { display: grid; grid-template-columns: 1fr 1fr; gap: 0.5rem; }
  .kinds label { border: 1px solid var(--border); border-radius: 10px; padding: 0.6rem; display: flex; gap: 0.5rem; align-items: flex-start; cursor: pointer; }
  .kinds label:has(input:checked) { border-color: var(--accent); background: var(--accent-soft); }
  .kinds small { display: block; color: var(--muted); }
  fieldset { border: none; padding: 0; margin: 0 0 0.9rem; }
  legend { font-weight: 600; font-size: 0.9rem; margin-bottom: 0.4rem; padding: 0; }
  section { border-top: 1px solid var(--border); padding-top: 1rem; margin-top: 1rem; }
  section h3 { margin: 0 0 0.6rem; font-size: 1rem; }
  ul { list-style: none; padding: 0; margin: 0 0 0.75rem; max-height: 260px; overflow-y: auto; }
  li { display: flex; align-items: center; gap: 0.5rem; padding: 0.35rem 0; }
  li .who { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  li select { width: auto; padding: 0.25rem 0.4rem; }
  .inline { display: flex; gap: 0.5rem; align-items: flex-start; }
  .inline input { flex: 1; }
  .avatars { display: flex; flex-wrap: wrap; gap: 0.35rem; }
  .avatars label { position: relative; cursor: pointer; border-radius: 50%; padding: 2px; border: 2px solid transparent; }
  .avatars input { position: absolute; opacity: 0; inset: 0; margin: 0; }
  .avatars label:has(input:checked) { border-color: var(--accent); }
  .avatars label:has(input:focus-visible) { outline: 3px solid var(--focus); }
  .danger-zone { display: flex; justify-content: space-between; align-items: center; gap: 1rem; flex-wrap: wrap; }
`;

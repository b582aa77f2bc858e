import { svg, type SVGTemplateResult } from 'lit';
import type { Avatar, Gender, PublicUser } from './types.js';

/** Avatars are inline SVG (the page's CSP allows no remote images, and emoji fonts are not everywhere). */

interface AnimalStyle {
  bg: string;
  face: string;
  ears: 'pointed' | 'round' | 'none' | 'antenna' | 'tufts';
  earColor: string;
  muzzle?: string;
  patches?: string;
  stripes?: string;
  eyes?: string;
}

const ANIMALS: Record<Avatar, AnimalStyle> = {
  fox: { bg: '#ffedd5', face: '#f97316', ears: 'pointed', earColor: '#ea580c', muzzle: '#fff7ed' },
  owl: { bg: '#ede9fe', face: '#a16207', ears: 'tufts', earColor: '#854d0e', eyes: '#fef3c7' },
  cat: { bg: '#f3f4f6', face: '#9ca3af', ears: 'pointed', earColor: '#6b7280', muzzle: '#f9fafb' },
  bear: { bg: '#fef3c7', face: '#92400e', ears: 'round', earColor: '#78350f', muzzle: '#d6a77a' },
  panda: { bg: '#ecfdf5', face: '#ffffff', ears: 'round', earColor: '#111827', patches: '#111827' },
  koala: { bg: '#e0f2fe', face: '#9ca3af', ears: 'round', earColor: '#6b7280', muzzle: '#374151' },
  tiger: { bg: '#fef9c3', face: '#f59e0b', ears: 'round', earColor: '#d97706', stripes: '#78350f', muzzle: '#fffbeb' },
  frog: { bg: '#dcfce7', face: '#22c55e', ears: 'none', earColor: '#16a34a', eyes: '#ffffff' },
  whale: { bg: '#dbeafe', face: '#3b82f6', ears: 'none', earColor: '#2563eb', muzzle: '#bfdbfe' },
  robot: { bg: '#e5e7eb', face: '#64748b', ears: 'antenna', earColor: '#ef4444', eyes: '#a5f3fc' },
};

function animal(kind: Avatar): SVGTemplateResult {
  const a = ANIMALS[kind];
  const ears =
    a.ears === 'pointed'
      ? svg`<path d="M9 17 L11 4 L19 12 Z M31 17 L29 4 L21 12 Z" fill=${a.earColor}/>`
      : a.ears === 'round'
        ? svg`<circle cx="11" cy="11" r="5" fill=${a.earColor}/><circle cx="29" cy="11" r="5" fill=${a.earColor}/>`
        : a.ears === 'tufts'
          ? svg`<path d="M10 14 L9 5 L17 11 Z M30 14 L31 5 L23 11 Z" fill=${a.earColor}/>`
          : a.ears === 'antenna'
            ? svg`<rect x="19" y="4" width="2" height="7" fill="#475569"/><circle cx="20" cy="4" r="2.5" fill=${a.earColor}/>`
            : svg``;
  const faceShape =
    kind === 'robot'
      ? svg`<rect x="9" y="10" width="22" height="21" rx="5" fill=${a.face}/>`
      : kind === 'whale'
        ? svg`<ellipse cx="20" cy="23" rx="14" ry="10" fill=${a.face}/>`
        : svg`<circle cx="20" cy="22" r="12" fill=${a.face}/>`;
  const eyeY = kind === 'whale' ? 21 : 20;
  const eyes = a.eyes
    ? svg`<circle cx="15" cy=${eyeY - 1} r="4" fill=${a.eyes}/><circle cx="25" cy=${eyeY - 1} r="4" fill=${a.eyes}/>
          <circle cx="15" cy=${eyeY - 1} r="1.8" fill="#111827"/><circle cx="25" cy=${eyeY - 1} r="1.8" fill="#111827"/>`
    : svg`<circle cx="15.5" cy=${eyeY} r="1.8" fill="#111827"/><circle cx="24.5" cy=${eyeY} r="1.8" fill="#111827"/>`;
  const patches = a.patches
    ? svg`<ellipse cx="15" cy="20" rx="3.5" ry="4.5" fill=${a.patches}/><ellipse cx="25" cy="20" rx="3.5" ry="4.5" fill=${a.patches}/>
          <circle cx="15.5" cy="19.5" r="1.4" fill="#fff"/><circle cx="24.5" cy="19.5" r="1.4" fill="#fff"/>`
    : svg``;
  const stripes = a.stripes
    ? svg`<path d="M20 10 v4 M14 12 l1.5 3 M26 12 l-1.5 3" stroke=${a.stripes} stroke-width="1.6" stroke-linecap="round"/>`
    : svg``;
  const muzzle = a.muzzle
    ? kind === 'koala'
      ? svg`<ellipse cx="20" cy="26" rx="3" ry="4" fill=${a.muzzle}/>`
      : svg`<ellipse cx="20" cy="27" rx="6" ry="4" fill=${a.muzzle}/><circle cx="20" cy="25.5" r="1.5" fill="#111827"/>`
    : kind === 'frog'
      ? svg`<path d="M14 27 q6 4 12 0" stroke="#14532d" stroke-width="1.5" fill="none" stroke-linecap="round"/>`
      : kind === 'owl'
        ? svg`<path d="M18 24 L22 24 L20 28 Z" fill="#f59e0b"/>`
        : kind === 'robot'
          ? svg`<rect x="14" y="25" width="12" height="2.5" rx="1" fill="#334155"/>`
          : svg``;
  const frogEyes =
    kind === 'frog'
      ? svg`<circle cx="14" cy="13" r="5" fill=${a.face}/><circle cx="26" cy="13" r="5" fill=${a.face}/>`
      : svg``;
  return svg`<rect width="40" height="40" rx="20" fill=${a.bg}/>${ears}${frogEyes}${faceShape}${stripes}${patches}${eyes}${muzzle}`;
}

const PEOPLE: Record<Gender, { bg: string; skin: string; hair: string; shirt: string; long: boolean }> = {
  female: { bg: '#fce7f3', skin: '#f1c27d', hair: '#7c2d12', shirt: '#db2777', long: true },
  male: { bg: '#e0e7ff', skin: '#e0ac69', hair: '#1f2937', shirt: '#4f46e5', long: false },
  other: { bg: '#fef3c7', skin: '#c68642', hair: '#4b5563', shirt: '#0d9488', long: false },
  unspecified: { bg: '#e5e7eb', skin: '#d1d5db', hair: '#9ca3af', shirt: '#6b7280', long: false },
};

function person(gender: Gender): SVGTemplateResult {
  const p = PEOPLE[gender];
  const hairBack = p.long ? svg`<path d="M10 19 q0 -12 10 -12 q10 0 10 12 v9 h-20 Z" fill=${p.hair}/>` : svg``;
  const hairTop =
    gender === 'unspecified'
      ? svg``
      : svg`<path d="M12 16 q1 -8 8 -8 q7 0 8 8 q-4 -3 -8 -3 q-4 0 -8 3 Z" fill=${p.hair}/>`;
  return svg`<rect width="40" height="40" rx="20" fill=${p.bg}/>${hairBack}
    <path d="M6 38 q2 -10 14 -10 q12 0 14 10 Z" fill=${p.shirt}/>
    <circle cx="20" cy="18" r="8" fill=${p.skin}/>${hairTop}`;
}

/** An avatar as an inline SVG: the chosen animal, else a figure by gender. */
export function avatarSvg(user: Pick<PublicUser, 'avatar' | 'gender'>, size = 36): SVGTemplateResult {
  const body = user.avatar ? animal(user.avatar) : person(user.gender);
  return svg`<svg class="avatar" viewBox="0 0 40 40" width=${size} height=${size} aria-hidden="true" focusable="false">${body}</svg>`;
}

export const AVATAR_LABELS: Record<Avatar, string> = {
  fox: 'Fox',
  owl: 'Owl',
  cat: 'Cat',
  bear: 'Bear',
  panda: 'Panda',
  koala: 'Koala',
  tiger: 'Tiger',
  frog: 'Frog',
  whale: 'Whale',
  robot: 'Robot',
};

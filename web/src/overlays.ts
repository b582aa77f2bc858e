/**
 * Confirmations and the image lightbox are asked for with events, not through a module-level instance: an element
 * dispatches a request (bubbling, composed) and the chat shell, which renders <parley-confirm> and
 * <parley-lightbox>, answers it. Unanswered (an element mounted on its own, as in a test), a confirmation falls back
 * to window.confirm and an image opens in a new tab.
 */

export interface ConfirmOptions {
  title: string;
  body: string;
  confirm: string;
}

export interface LightboxImage {
  src: string;
  alt: string;
  width: number;
  height: number;
  caption: string;
}

export interface ConfirmRequest extends ConfirmOptions {
  answer(ok: Promise<boolean>): void;
}

export interface LightboxRequest {
  image: LightboxImage;
  opener: HTMLElement | null;
}

declare global {
  interface HTMLElementEventMap {
    'confirm-request': CustomEvent<ConfirmRequest>;
    'lightbox-request': CustomEvent<LightboxRequest>;
    'emoji-request': CustomEvent<EmojiRequest>;
  }
}

/** Asks the user to confirm a destructive action in a modal dialog. */
export function requestConfirm(from: Element, opts: ConfirmOptions): Promise<boolean> {
  let answered: Promise<boolean> | null = null;
  const event = new CustomEvent<ConfirmRequest>('confirm-request', {
    bubbles: true,
    composed: true,
    cancelable: true,
    detail: { ...opts, answer: (ok) => (answered = ok) },
  });
  from.dispatchEvent(event);
  return answered ?? Promise.resolve(window.confirm(opts.title));
}

/** Shows an image full size in a modal dialog; focus returns to `opener` when it closes. */
export function requestLightbox(from: Element, image: LightboxImage, opener: HTMLElement | null): void {
  const event = new CustomEvent<LightboxRequest>('lightbox-request', {
    bubbles: true,
    composed: true,
    cancelable: true,
    detail: { image, opener },
  });
  if (from.dispatchEvent(event)) window.open(image.src, '_blank', 'noopener');
}

export interface EmojiRequest {
  answer(emoji: Promise<string | null>): void;
}

/** Asks for an emoji with the reaction picker (the timeline renders it); null when none was chosen or none answers. */
export function requestEmoji(from: Element): Promise<string | null> {
  let answered: Promise<string | null> | null = null;
  from.dispatchEvent(
    new CustomEvent<EmojiRequest>('emoji-request', {
      bubbles: true,
      composed: true,
      detail: { answer: (emoji) => (answered = emoji) },
    }),
  );
  return answered ?? Promise.resolve(null);
}

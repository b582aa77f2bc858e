import type { FieldError } from './types.js';

/** An API error: `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Field errors keyed by field name ("body.password" and "password" both become "password"). */
  fields(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of this.details) {
      const key = d.path.replace(/^(body|query|params)\./, '');
      out[key] ??= d.message;
    }
    return out;
  }
}

type Listener = () => void;
const sessionLostListeners = new Set<Listener>();

/** Called when the session is gone for good (refresh failed): the app shows the login page. */
export function onSessionLost(listener: Listener): () => void {
  sessionLostListeners.add(listener);
  return () => sessionLostListeners.delete(listener);
}

function sessionLost(): void {
  for (const l of sessionLostListeners) l();
}

async function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  // Refresh tokens rotate and reusing a spent one ends the session, so tabs of one browser refresh one at a time.
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return fn();
  return locks.request('parley-refresh', fn) as Promise<T>;
}

let refreshing: Promise<boolean> | null = null;

/**
 * Gets a fresh access cookie with the refresh cookie. One refresh at a time per tab and per browser; a tab that waited
 * for another tab's refresh first checks whether the cookie it now has already works.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= withRefreshLock(async () => {
    try {
      const probe = await fetch('/api/me', { credentials: 'same-origin' });
      if (probe.ok) return true;
      const res = await fetch('/api/auth/refresh', { method: 'POST', credentials: 'same-origin' });
      return res.ok;
    } catch {
      return false;
    }
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

export interface RequestOptions {
  body?: unknown;
  /** Whether a 401 may refresh the session and retry once (default true). */
  retry?: boolean;
  signal?: AbortSignal;
}

export async function request<T>(method: string, url: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'Cannot reach the server. Check your connection.');
  }
  if (res.status === 401 && opts.retry !== false && !url.startsWith('/api/auth/')) {
    if (await refreshSession()) return request<T>(method, url, { ...opts, retry: false });
    sessionLost();
  }
  if (res.status === 204) return undefined as T;
  let data: unknown;
  const text = await res.text();
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    const details = Array.isArray(e?.details)
      ? (e!.details as FieldError[]).filter((d) => d && typeof d.path === 'string')
      : [];
    throw new ApiError(
      res.status,
      e?.code ?? `HTTP_${res.status}`,
      e?.message ?? `Request failed (${res.status})`,
      details,
    );
  }
  return data as T;
}

export const api = {
  get: <T>(url: string, opts?: RequestOptions) => request<T>('GET', url, opts),
  post: <T>(url: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', url, { ...opts, body }),
  patch: <T>(url: string, body?: unknown, opts?: RequestOptions) => request<T>('PATCH', url, { ...opts, body }),
  put: <T>(url: string, body?: unknown, opts?: RequestOptions) => request<T>('PUT', url, { ...opts, body }),
  del: <T>(url: string, opts?: RequestOptions) => request<T>('DELETE', url, opts),
};

/** The field errors of an ApiError (see ApiError.fields), or none. */
export function fieldErrors(err: unknown): Record<string, string> {
  return err instanceof ApiError ? err.fields() : {};
}

/** A human sentence for any error thrown by `request`. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

function parseError(status: number, text: string): ApiError {
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  const e = (data as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
  const details = Array.isArray(e?.details)
    ? (e!.details as FieldError[]).filter((d) => d && typeof d.path === 'string')
    : [];
  return new ApiError(status, e?.code ?? `HTTP_${status}`, e?.message ?? `Request failed (${status})`, details);
}

export interface UploadHandle<T> {
  done: Promise<T>;
  abort(): void;
}

/**
 * POSTs one file as multipart/form-data (field "file") with XMLHttpRequest, because fetch reports no upload progress.
 * `onProgress` gets 0..1. A 401 refreshes the session once and starts over; errors are ApiErrors like `request`'s
 * (status 0 NETWORK when the connection failed, ABORTED when `abort()` was called).
 */
export function uploadFile<T>(
  url: string,
  file: Blob,
  filename: string,
  onProgress: (fraction: number) => void,
): UploadHandle<T> {
  let xhr: XMLHttpRequest | null = null;
  let aborted = false;
  const attempt = (retry: boolean): Promise<T> =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const x = new XMLHttpRequest();
      xhr = x;
      x.open('POST', url);
      x.withCredentials = true;
      x.setRequestHeader('accept', 'application/json');
      x.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(Math.min(1, e.loaded / e.total));
      };
      x.onload = () => resolve({ status: x.status, text: x.responseText });
      x.onerror = () => reject(new ApiError(0, 'NETWORK', 'the connection to the server failed'));
      x.ontimeout = x.onerror;
      x.onabort = () => reject(new ApiError(0, 'ABORTED', 'the upload was cancelled'));
      const form = new FormData();
      form.append('file', file, filename);
      x.send(form);
    }).then(async ({ status, text }) => {
      if (status === 401 && retry) {
        if (!aborted && (await refreshSession())) return attempt(false);
        sessionLost();
      }
      if (status < 200 || status >= 300) throw parseError(status, text);
      onProgress(1);
      return JSON.parse(text) as T;
    });
  return {
    done: attempt(true),
    abort() {
      aborted = true;
      (xhr as XMLHttpRequest | null)?.abort();
    },
  };
}

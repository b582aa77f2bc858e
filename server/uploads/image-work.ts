import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** Bounds the image jobs of this instance (see WorkQueue). */
    imageWork: WorkQueue;
  }
}

/** Gives the slot back; calling it twice is harmless. */
export type Release = () => void;

/**
 * At most `concurrency` jobs at once and at most `queueLimit` waiting, first come first served. Decoding an image
 * runs on libuv's thread pool and keeps the event loop free, but its memory is proportional to its pixels: without a
 * bound, a handful of parallel uploads of small files with large dimensions take the process's memory.
 */
export class WorkQueue {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Whether `enter()` would refuse now. */
  get full(): boolean {
    return this.active >= this.concurrency && this.waiting.length >= this.queueLimit;
  }

  /** A slot when one is free or frees up; null at once when the queue is full (the caller refuses the work). */
  enter(): Promise<Release> | null {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.queueLimit) return null;
    return new Promise((resolve) => this.waiting.push(() => resolve(this.releaser())));
  }

  private releaser(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next in line, so `active` never drops below what is running.
      if (next) next();
      else this.active--;
    };
  }
}

async function imageWork(app: FastifyInstance): Promise<void> {
  app.decorate('imageWork', new WorkQueue(app.config.uploads.concurrency, app.config.uploads.queue));
}

export default fp(imageWork, { name: 'parley-image-work', dependencies: ['parley-config'] });

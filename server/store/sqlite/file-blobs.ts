import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../store.js';
import { makePrivate, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';

/**
 * Upload bytes as files under a directory. Writes go to a temporary name first, so no partial file is ever seen.
 * Directories are 0700 and files 0600; making the top directory private at start closes older files too.
 */
export class FileBlobStore implements BlobStore {
  /** Keys whose file could not be removed yet (a local unlink rarely fails): sweep() tries them again. */
  private readonly undeleted = new Set<string>();

  constructor(private readonly dir: string) {
    makePrivate(dir, PRIVATE_DIR_MODE);
  }

  private file(key: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw new Error(`bad blob key ${key}`);
    return path.join(this.dir, key.slice(0, 2), key);
  }

  async put(key: string, data: Buffer): Promise<void> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, data, { mode: PRIVATE_FILE_MODE });
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async discard(keys: string[]): Promise<void> {
    for (const key of keys) this.undeleted.add(key);
    await this.sweep();
  }

  async sweep(): Promise<number> {
    for (const key of [...this.undeleted]) {
      if (
        await this.delete(key).then(
          () => true,
          () => false,
        )
      )
        this.undeleted.delete(key);
    }
    return this.undeleted.size;
  }
}

import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Files dropped anywhere on the page go to `onFiles` (a file dropped beside the room must not replace the app with
 * the image); `dragging` is true while files are dragged over the page, for an overlay.
 */
export class DropZone implements ReactiveController {
  dragging = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly onFiles: (files: File[]) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    window.addEventListener('dragover', this.onDragOver);
    window.addEventListener('drop', this.onDrop);
  }

  hostDisconnected(): void {
    window.removeEventListener('dragover', this.onDragOver);
    window.removeEventListener('drop', this.onDrop);
    clearTimeout(this.timer);
    this.dragging = false;
  }

  private setDragging(dragging: boolean): void {
    if (this.dragging === dragging) return;
    this.dragging = dragging;
    this.host.requestUpdate();
  }

  private readonly onDragOver = (e: DragEvent) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    this.setDragging(true);
    // No reliable dragleave across shadow roots: the overlay goes when dragover stops coming.
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.setDragging(false), 200);
  };

  private readonly onDrop = (e: DragEvent) => {
    if (!e.dataTransfer?.files.length) return;
    e.preventDefault();
    clearTimeout(this.timer);
    this.setDragging(false);
    this.onFiles([...e.dataTransfer.files]);
  };
}

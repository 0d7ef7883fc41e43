/**
 * The live phase line while a provision runs: on a terminal, one line redrawn in place with a spinner
 * and the elapsed time; elsewhere (logs, pipes), a line each time something changes.
 */
import type { ProvisionStatus } from '../common/contract';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function describeStatus(status: ProvisionStatus): string {
  const parts: string[] = [status.phase];
  if (status.instanceId) parts.push(status.instanceId);
  if (status.lastState) parts.push(`state=${status.lastState}`);
  if (status.phase === 'waiting-for-ip') parts.push(`polls=${status.polls}`);
  return parts.join(' ');
}

export class PhaseLine {
  private text = 'starting';
  private frame = 0;
  private lastPrinted = '';
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    if (stream.isTTY) this.timer = setInterval(() => this.draw(), 100);
  }

  update(status: ProvisionStatus): void {
    this.text = describeStatus(status);
    if (!this.stream.isTTY && this.text !== this.lastPrinted) {
      this.stream.write(`[${this.elapsed()}] ${this.text}\n`);
      this.lastPrinted = this.text;
    }
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.stream.write(`\r\x1b[K[${this.elapsed()}] ${this.text}\n`);
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.stream.write(`\r\x1b[K${FRAMES[this.frame] ?? ''} ${this.text}  ${this.elapsed()}`);
  }

  private elapsed(): string {
    return `${Math.round((Date.now() - this.started) / 1000)}s`;
  }
}

import { Injectable } from '@nestjs/common';

/** Set once the process has been asked to stop: readiness then fails so a load balancer moves on. */
@Injectable()
export class ShutdownState {
  private drainingSince: Date | undefined;

  markDraining(): void {
    this.drainingSince ??= new Date();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }
}

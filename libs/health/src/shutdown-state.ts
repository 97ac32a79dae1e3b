import { Injectable } from '@nestjs/common';

/** Set once the process has been asked to stop: readiness then fails so a load balancer moves on. */
@Injectable()
export class ShutdownState {
  private isDraining = false;

  markDraining(): void {
    this.isDraining = true;
  }

  get draining(): boolean {
    return this.isDraining;
  }
}

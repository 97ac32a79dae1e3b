import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock.js';

/** Process-wide ports with one production implementation each (tests override them). */
@Global()
@Module({ providers: [{ provide: Clock, useClass: SystemClock }], exports: [Clock] })
export class CommonModule {}

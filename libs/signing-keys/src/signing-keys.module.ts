import { DynamicModule, Global, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { AuditModule } from '#audit';
import { SigningKeysService } from './signing-keys.service.js';

const LOAD_AT_START = Symbol('signing keys: load at start');

@Injectable()
class LoadAtStart implements OnModuleInit {
  constructor(
    @Inject(SigningKeysService) private readonly keys: SigningKeysService,
    @Inject(LOAD_AT_START) private readonly enabled: boolean,
  ) {}

  /** The server fails to start, with a clear message, when the keys cannot be decrypted. */
  async onModuleInit(): Promise<void> {
    if (this.enabled) await this.keys.start();
  }
}

/**
 * The signing keys (the JWKS route is in #auth-tokens). Global: token signing and verification in every module
 * use the one key ring. The API loads the keys at start-up; the CLI on first use (its `migrate`
 * must work before the table exists).
 */
@Global()
@Module({})
export class SigningKeysModule {
  static forRoot(options: { loadAtStart: boolean }): DynamicModule {
    return {
      module: SigningKeysModule,
      imports: [AuditModule],
      providers: [SigningKeysService, LoadAtStart, { provide: LOAD_AT_START, useValue: options.loadAtStart }],
      exports: [SigningKeysService],
    };
  }
}

import { DynamicModule, Global, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { AuditModule } from '#audit';
import { Clock } from '#common';
import { AppConfig } from '#config';
import { HmacKeyRing, KeyRing, StoredKeyRing } from './key-ring.js';
import { KeyVault } from './key-vault.js';
import { SigningKeysService } from './signing-keys.service.js';

const LOAD_AT_START = Symbol('signing keys: load at start');

@Injectable()
class LoadAtStart implements OnModuleInit {
  constructor(
    @Inject(KeyRing) private readonly ring: KeyRing,
    @Inject(LOAD_AT_START) private readonly enabled: boolean,
  ) {}

  /** The server fails to start, with a clear message, when the keys cannot be decrypted. */
  async onModuleInit(): Promise<void> {
    if (this.enabled) await this.ring.start();
  }
}

/**
 * The signing keys (the JWKS route is in #auth-tokens): KeyRing for signing, verifying and the
 * JWKS, HS256's or the stored keys' as JWT_ALGORITHM says; SigningKeysService for changing them.
 * Global: every module signs and verifies with the one ring. The API loads the keys at start-up;
 * the CLI on first use (its `migrate` must work before the table exists).
 */
@Global()
@Module({})
export class SigningKeysModule {
  static forRoot(options: { loadAtStart: boolean }): DynamicModule {
    return {
      module: SigningKeysModule,
      imports: [AuditModule],
      providers: [
        KeyVault,
        {
          provide: KeyRing,
          inject: [AppConfig, KeyVault, Clock],
          useFactory: (config: AppConfig, vault: KeyVault, clock: Clock): KeyRing =>
            config.jwt.algorithm === 'HS256' ? new HmacKeyRing(config.jwt.secret) : new StoredKeyRing(config, vault, clock),
        },
        SigningKeysService,
        LoadAtStart,
        { provide: LOAD_AT_START, useValue: options.loadAtStart },
      ],
      exports: [KeyRing, SigningKeysService],
    };
  }
}

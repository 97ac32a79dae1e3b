import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AdminPanelModule } from '#admin';
import { AdminApiModule } from '#admin-api';
import { AuthModule } from '#auth';
import { AuthTokensModule, JwtAuthGuard, RolesGuard } from '#auth-tokens';
import { CommonModule, LoggingModule } from '#common';
import { type AppConfig, ConfigModule } from '#config';
import { DatabaseModule } from '#database';
import { HealthModule } from '#health';
import { MetricsModule } from '#metrics';
import { RATE_LIMIT_GUARD } from '#rate-limit';
import { DeliveryModule } from '#delivery';
import { DevOutboxModule, OtpModule } from '#otp';
import { RedisModule } from '#redis';
import { SigningKeysModule } from '#signing-keys';
import { WebhooksModule } from '#webhooks';
import { entities } from './entities.js';

@Module({})
export class AppModule {
  /**
   * The API; with `adminPanel`, AdminJS at /admin too; with `shareEmbeddedDatabase`, the embedded
   * database is served on a loopback port for the CLI. The in-process e2e apps do neither (AdminJS
   * does not load inside jest's VM) and test them against the spawned server instead.
   */
  static register(
    config: AppConfig,
    options: { adminPanel: boolean; shareEmbeddedDatabase: boolean; clusterWorker?: boolean },
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Loaded by import(): @nestjs/throttler is CommonJS that requires the ESM-only @nestjs/common,
        // and Jest's ESM loader refuses that in a static graph ("require() of ES Module in a cycle").
        import('../../../libs/rate-limit/src/rate-limit.module.js').then((m) => ({ module: m.RateLimitModule })),
        ConfigModule.forRoot(config),
        CommonModule,
        LoggingModule.forRoot(config),
        MetricsModule.forRoot({ serve: options.clusterWorker ? 'cluster-worker' : 'self' }),
        DatabaseModule.forRoot(entities, { shareEmbedded: options.shareEmbeddedDatabase }),
        RedisModule,
        SigningKeysModule.forRoot({ loadAtStart: true }),
        WebhooksModule.forRoot({ dispatch: true }),
        AuthTokensModule,
        DeliveryModule.forRoot(config, 'api'),
        OtpModule,
        ...(config.delivery.channel === 'dev' ? [DevOutboxModule] : []),
        AuthModule,
        AdminApiModule,
        HealthModule,
        ...(options.adminPanel ? [AdminPanelModule] : []),
      ],
      // The global guards, in this order (one module's providers keep theirs): a request is counted
      // against the per-IP limits before its token is checked, so guessing tokens is limited too;
      // then authenticated; then its role checked.
      providers: [
        { provide: APP_GUARD, useExisting: RATE_LIMIT_GUARD },
        { provide: APP_GUARD, useExisting: JwtAuthGuard },
        { provide: APP_GUARD, useExisting: RolesGuard },
      ],
    };
  }
}

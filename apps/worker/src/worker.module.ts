import { type DynamicModule, Module } from '@nestjs/common';
import { LoggingModule } from '#common';
import { type AppConfig, ConfigModule } from '#config';
import { MetricsModule } from '#metrics';
import { DeliveryModule } from '#delivery';

/** Only what sending needs: the config, the Redis queue and the transports, and its metrics on METRICS_PORT; no database. */
@Module({})
export class WorkerModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        MetricsModule.forRoot({ serve: 'self' }),
        DeliveryModule.forRoot(config, 'worker'),
      ],
    };
  }
}

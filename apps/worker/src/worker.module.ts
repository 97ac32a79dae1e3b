import { type DynamicModule, Module } from '@nestjs/common';
import { CommonModule, LoggingModule } from '#common';
import { type AppConfig, ConfigModule } from '#config';
import { MetricsModule } from '#metrics';
import { DeliveryModule } from '#delivery';
import { RedisModule } from '#redis';

/**
 * Only what sending needs: the config, the Redis queue and the transports, the KeyValueStore (where
 * the delivery history is counted), and its metrics on METRICS_PORT; no database.
 */
@Module({})
export class WorkerModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule,
        LoggingModule.forRoot(config),
        RedisModule,
        MetricsModule.forRoot({ serve: 'self' }),
        DeliveryModule.forRoot(config, 'worker'),
      ],
    };
  }
}

import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig, ConfigModule } from '#config';
import { DeliveryModule } from '#otp';

/** Only what sending needs: the config, the Redis queue and the transports; no HTTP, no database. */
@Module({})
export class WorkerModule {
  static register(config: AppConfig): DynamicModule {
    return { module: WorkerModule, imports: [ConfigModule.forRoot(config), DeliveryModule.forRoot(config, 'worker')] };
  }
}

import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ApiKeys } from '../common/auth/api-keys';
import { APP_CONFIG, type AppConfig } from './app-config';

/** Makes the validated config (APP_CONFIG) and the API keys injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig, keys: ApiKeys): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: ApiKeys, useValue: keys },
      ],
      exports: [APP_CONFIG, ApiKeys],
    };
  }
}

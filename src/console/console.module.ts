import { Module } from '@nestjs/common';
import { ConsoleAssets } from './console-assets';
import { ConsoleController, DashboardRedirectController } from './console.controller';
import { WhoamiController } from './whoami.controller';

/**
 * The operations console: static ES modules under web/ that call the REST API like any
 * client, `GET /api/v1/whoami` for the key's role, and the redirect from the old /dashboard.
 * Holds no service logic and no tables. See README.md.
 */
@Module({
  controllers: [ConsoleController, DashboardRedirectController, WhoamiController],
  providers: [ConsoleAssets],
})
export class ConsoleModule {}

import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { loadDotEnv } from '../config/dotenv';
import { dataSourceOptions } from './data-source-options';

/** The data source the TypeORM CLI uses (`npm run migration:run`); same options as the app. */
loadDotEnv();
const config = loadConfig({ ...process.env, ROLE: 'worker' });
export default new DataSource(dataSourceOptions(config.database));

// The data source the typeorm CLI uses (`npm run migration:run`, `migration:revert`): the same
// config, entities and migrations as the app, on whichever backend the environment selects.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '#config';
import { buildDataSourceOptions } from '#database';
import { entities } from './apps/api/src/entities.js';

export default new DataSource(await buildDataSourceOptions(loadConfig(), entities));

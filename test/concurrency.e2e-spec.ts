import { describeRaces } from './support/races.js';
import { backend, startTestApp } from './support/test-app.js';

describeRaces(`races (${backend.database} + ${backend.redis})`, () => startTestApp());

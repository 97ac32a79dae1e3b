export { PUBLISHED, type AccountEventMap, type AccountEventType, type AccountFacts, type PublishedEventType } from './account-events.js';
export { AccountEvents } from './account-events.service.js';
export { EventsModule } from './events.module.js';

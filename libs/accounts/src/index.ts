export { AccountsModule } from './accounts.module.js';
export { AccountsService, type AccountOverview, type UserRef } from './accounts.service.js';

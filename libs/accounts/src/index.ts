export { AccountsModule } from './accounts.module.js';
export { AccountsService, type UserRef } from './accounts.service.js';

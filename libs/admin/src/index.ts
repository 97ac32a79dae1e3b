export { AccountsModule } from './accounts.module.js';
export { AccountsService, type Actor } from './accounts.service.js';
export { AdminAuthService, type CurrentAdmin } from './admin-auth.service.js';
export { ADMIN_ROOT, AdminPanelModule } from './admin-panel.module.js';

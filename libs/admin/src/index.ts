export { AdminAuthService, type CurrentAdmin } from './admin-auth.service.js';
export { ADMIN_ROOT, AdminPanelModule } from './admin-panel.module.js';

export { AuthModule } from './auth.module.js';
export { AuthService, type Session } from './auth.service.js';

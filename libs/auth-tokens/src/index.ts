export { AuthTokensModule } from './auth-tokens.module.js';
export { CurrentUser } from './decorators/current-user.decorator.js';
export { Public } from './decorators/public.decorator.js';
export { Roles } from './decorators/roles.decorator.js';
export { JwtAuthGuard } from './guards/jwt-auth.guard.js';
export { RolesGuard } from './guards/roles.guard.js';
export { RefreshToken } from './refresh-token.entity.js';
export type { ClientContext, TokenClaims } from './token-claims.js';
export { TokensService, type TokenPair } from './tokens.service.js';

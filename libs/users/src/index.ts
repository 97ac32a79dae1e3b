export { User, type UserRole } from './user.entity.js';
export { UserResponseDto } from './user-response.dto.js';
export { UsersModule } from './users.module.js';
export { UsersService } from './users.service.js';
export { countryOfPhone, normalizeIdentifier, type Identifier } from './identifier.js';
export { PasswordHasher } from './password-hasher.js';
export { USERNAME_PATTERN, USERNAME_RULE, normalizeUsername } from './username.js';
export type { UserListQuery } from './users.service.js';

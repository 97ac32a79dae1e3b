import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { Roles } from '../decorators/roles.decorator.js';
import { RolesGuard } from './roles.guard.js';

class Routes {
  @Roles('admin') adminOnly() {}
  open() {}
}

// Nest's own context of an HTTP request: [request, reply, next].
const context = (handler: () => void, role?: string) =>
  new ExecutionContextHost([{ user: role ? { role } : undefined }, {}, undefined], Routes, handler);

describe('RolesGuard', () => {
  const guard = new RolesGuard(new Reflector());

  it('lets an admin through an @Roles("admin") route', () => {
    expect(guard.canActivate(context(Routes.prototype.adminOnly, 'admin'))).toBe(true);
  });

  it('refuses a plain user there with FORBIDDEN', () => {
    expect(() => guard.canActivate(context(Routes.prototype.adminOnly, 'user'))).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });

  it('leaves routes without @Roles to the JWT guard alone', () => {
    expect(guard.canActivate(context(Routes.prototype.open, 'user'))).toBe(true);
  });
});

import { ForbiddenError, type ActionContext, type ActionRequest, type ResourceWithOptions } from 'adminjs';
import type { AccountsService } from '#accounts';
import { AuditEvent, type Actor } from '#audit';
import { RefreshToken } from '#auth-tokens';
import { DomainError } from '#common';
import { SigningKey, type SigningKeysService } from '#signing-keys';
import { User } from '#users';
import { WebhookDelivery, WebhookEndpoint, type WebhooksService } from '#webhooks';
import { Components } from './component-loader.js';
import type { AdminAuthService } from './admin-auth.service.js';
import { allowedListQuery } from './list-query.js';

const actorOf = (context: ActionContext): Actor => ({
  userId: (context.currentAdmin?.id as string | undefined) ?? null,
  via: 'admin-panel',
});

const noWrites = {
  new: { isAccessible: false },
  edit: { isAccessible: false },
  delete: { isAccessible: false },
  bulkDelete: { isAccessible: false },
};

/** A broken rule becomes an AdminJS error notice; anything else is a bug and propagates. */
function errorNotice(error: unknown): { message: string; type: 'error' } {
  if (!(error instanceof DomainError)) throw error;
  return { message: error.message, type: 'error' };
}

/** Runs an operator action through AccountsService and reports the outcome as an AdminJS notice. */
async function recordAction(context: ActionContext, work: () => Promise<unknown>, success: string) {
  const { record, currentAdmin, resource, h } = context;
  try {
    await work();
  } catch (error) {
    return { record: record!.toJSON(currentAdmin), notice: errorNotice(error) };
  }
  const fresh = await resource.findOne(record!.id());
  return {
    record: (fresh ?? record)!.toJSON(currentAdmin),
    redirectUrl: h.recordActionUrl({ resourceId: resource._decorated?.id() ?? resource.id(), recordId: record!.id(), actionName: 'show' }),
    notice: { message: success, type: 'success' as const },
  };
}

/**
 * What the panel shows. Users are edited only through AccountsService (the same rules and audit as
 * the CLI); password and token hashes are never listed, shown or sent; the audit log is read-only.
 */
export function adminResources(
  accounts: AccountsService,
  auth: AdminAuthService,
  keys: SigningKeysService,
  webhooks: WebhooksService,
): ResourceWithOptions[] {
  const resources: ResourceWithOptions[] = [
    {
      resource: User,
      options: {
        navigation: { name: 'Accounts', icon: 'User' },
        // A user's page is titled by the username, and audit rows and sessions name users by it.
        titleProperty: 'username',
        listProperties: ['username', 'email', 'phone', 'role', 'isActive', 'lastLoginAt', 'createdAt'],
        filterProperties: ['username', 'email', 'phone', 'role', 'isActive', 'createdAt'],
        showProperties: ['id', 'username', 'email', 'phone', 'role', 'isActive', 'lastLoginAt', 'createdAt', 'updatedAt'],
        editProperties: ['username', 'role', 'isActive'],
        properties: {
          passwordHash: { isVisible: false },
          sessionVersion: { isVisible: false },
          role: {
            availableValues: [
              { value: 'user', label: 'user' },
              { value: 'admin', label: 'admin' },
            ],
          },
        },
        sort: { sortBy: 'createdAt', direction: 'desc' },
        actions: {
          new: { isAccessible: false },
          bulkDelete: { isAccessible: false },
          // The user's page: identity, live sessions (each with Revoke) and recent events, one page.
          show: { component: Components.UserOverview },
          overview: {
            actionType: 'record',
            isVisible: false,
            component: false,
            handler: async (_request: ActionRequest, _response: unknown, context: ActionContext) => {
              const { sessions, events } = await accounts.overview({ id: context.record!.id() });
              return { record: context.record!.toJSON(context.currentAdmin), sessions, events };
            },
          },
          revokeSession: {
            actionType: 'record',
            isVisible: false,
            component: false,
            handler: async (request: ActionRequest, _response: unknown, context: ActionContext) => {
              const { record, currentAdmin } = context;
              if (request.method !== 'post') return { record: record!.toJSON(currentAdmin) };
              try {
                await accounts.revokeSession(String(request.payload?.sessionId ?? ''), actorOf(context), { ownedBy: record!.id() });
              } catch (error) {
                return { record: record!.toJSON(currentAdmin), notice: errorNotice(error) };
              }
              return { record: record!.toJSON(currentAdmin), notice: { message: 'Session ended.', type: 'success' as const } };
            },
          },
          // As DELETE /api/admin/users/{id} and `users delete`: AccountsService.delete, audited.
          delete: {
            guard: 'Delete this user? Every session ends and the account is gone; the address can sign up again.',
            handler: async (request: ActionRequest, _response: unknown, context: ActionContext) => {
              const { record, currentAdmin, h } = context;
              if (request.method !== 'post') return { record: record!.toJSON(currentAdmin) };
              try {
                await accounts.delete({ id: record!.id() }, actorOf(context));
              } catch (error) {
                return { record: record!.toJSON(currentAdmin), notice: errorNotice(error) };
              }
              return {
                record: record!.toJSON(currentAdmin),
                redirectUrl: h.resourceUrl({ resourceId: 'User' }),
                notice: { message: 'User deleted.', type: 'success' as const },
              };
            },
          },
          edit: {
            handler: async (request: ActionRequest, _response: unknown, context: ActionContext) => {
              if (request.method !== 'post') return { record: context.record!.toJSON(context.currentAdmin) };
              const payload = request.payload ?? {};
              return recordAction(
                context,
                () =>
                  accounts.update(
                    { id: context.record!.id() },
                    {
                      username: payload.username as string | undefined,
                      role: payload.role as string | undefined,
                      isActive: payload.isActive === undefined ? undefined : payload.isActive === true || payload.isActive === 'true',
                    },
                    actorOf(context),
                  ),
                'Saved.',
              );
            },
          },
          block: {
            actionType: 'record',
            icon: 'Lock',
            component: false,
            guard: 'Block this user? Every session and access token they have stops working.',
            isVisible: ({ record }: ActionContext) => record?.params.isActive === true,
            handler: (_request: ActionRequest, _response: unknown, context: ActionContext) =>
              recordAction(
                context,
                () => accounts.block({ id: context.record!.id() }, actorOf(context)),
                'Blocked; their sessions are revoked.',
              ),
          },
          unblock: {
            actionType: 'record',
            icon: 'Unlock',
            component: false,
            isVisible: ({ record }: ActionContext) => record?.params.isActive === false,
            handler: (_request: ActionRequest, _response: unknown, context: ActionContext) =>
              recordAction(context, () => accounts.unblock({ id: context.record!.id() }, actorOf(context)), 'Unblocked.'),
          },
          revokeAllSessions: {
            actionType: 'record',
            icon: 'LogOut',
            component: false,
            guard: 'End every session of this user?',
            handler: (_request: ActionRequest, _response: unknown, context: ActionContext) =>
              recordAction(
                context,
                () => accounts.revokeAllSessions({ id: context.record!.id() }, actorOf(context)),
                'Every session ended.',
              ),
          },
        },
      },
    },
    {
      resource: RefreshToken,
      options: {
        id: 'Sessions',
        navigation: { name: 'Accounts', icon: 'Key' },
        listProperties: ['userId', 'createdAt', 'expiresAt', 'revokedAt', 'revokedReason', 'userAgent', 'ip'],
        filterProperties: ['userId', 'familyId', 'createdAt', 'expiresAt', 'revokedAt', 'revokedReason', 'ip'],
        properties: { tokenHash: { isVisible: false }, userId: { reference: 'User' } },
        sort: { sortBy: 'createdAt', direction: 'desc' },
        actions: {
          ...noWrites,
          revoke: {
            actionType: 'record',
            icon: 'XCircle',
            component: false,
            guard: 'End this session?',
            isVisible: ({ record }: ActionContext) => !record?.params.revokedAt,
            handler: (_request: ActionRequest, _response: unknown, context: ActionContext) =>
              recordAction(context, () => accounts.revokeSession(context.record!.params.familyId, actorOf(context)), 'Session ended.'),
          },
        },
      },
    },
    {
      resource: AuditEvent,
      options: {
        id: 'AuditLog',
        navigation: { name: 'Security', icon: 'Shield' },
        listProperties: ['createdAt', 'type', 'actorId', 'targetId', 'ip'],
        filterProperties: ['type', 'actorId', 'targetId', 'ip', 'createdAt'],
        // Shown as usernames linking to the user's page (a deleted account's id stays as it was).
        properties: { actorId: { reference: 'User' }, targetId: { reference: 'User' } },
        sort: { sortBy: 'createdAt', direction: 'desc' },
        actions: noWrites,
      },
    },
    {
      // Read-only, public parts only; the one write is a rotation, with the CLI's rules and audit.
      resource: SigningKey,
      options: {
        id: 'SigningKeys',
        navigation: { name: 'Security', icon: 'Shield' },
        listProperties: ['kid', 'algorithm', 'state', 'createdAt', 'activatedAt', 'deactivatedAt', 'retiredAt'],
        showProperties: ['kid', 'algorithm', 'state', 'publicJwk', 'createdAt', 'activatedAt', 'deactivatedAt', 'retiredAt'],
        filterProperties: ['state', 'algorithm', 'createdAt'],
        properties: { encryptedPrivateKey: { isVisible: false } },
        sort: { sortBy: 'createdAt', direction: 'desc' },
        actions: {
          ...noWrites,
          rotate: {
            actionType: 'resource',
            icon: 'RefreshCw',
            component: false,
            guard: 'Rotate the signing keys? The next key starts signing; nobody is logged out.',
            isAccessible: keys.manageable,
            handler: async (_request: ActionRequest, _response: unknown, context: ActionContext) => {
              const list = context.h.resourceUrl({ resourceId: 'SigningKeys' });
              try {
                const { current } = await keys.rotate(actorOf(context));
                return { redirectUrl: list, notice: { message: `Rotated: ${current} signs now.`, type: 'success' as const } };
              } catch (error) {
                return { redirectUrl: list, notice: errorNotice(error) };
              }
            },
          },
        },
      },
    },
    {
      // Endpoints are added through WebhooksService (validation, encrypted secret shown once, audit).
      resource: WebhookEndpoint,
      options: {
        id: 'Webhooks',
        navigation: { name: 'Integrations', icon: 'Send' },
        listProperties: ['url', 'events', 'source', 'enabled', 'createdAt'],
        showProperties: ['id', 'url', 'events', 'source', 'enabled', 'description', 'createdAt'],
        filterProperties: ['url', 'source', 'enabled', 'createdAt'],
        properties: { encryptedSecret: { isVisible: false }, events: { type: 'string', isArray: true } },
        sort: { sortBy: 'createdAt', direction: 'desc' },
        actions: {
          ...noWrites,
          add: {
            actionType: 'resource',
            icon: 'Plus',
            component: Components.AddWebhook,
            handler: async (request: ActionRequest, _response: unknown, context: ActionContext) => {
              if (request.method !== 'post') return {};
              const payload = request.payload ?? {};
              const events = String(payload.events ?? '')
                .split(',')
                .map((e) => e.trim())
                .filter(Boolean);
              try {
                const input = {
                  url: String(payload.url ?? ''),
                  events,
                  description: payload.description ? String(payload.description) : undefined,
                };
                const { endpoint, secret } = await webhooks.add(input, actorOf(context));
                return { secret, endpointId: endpoint.id, notice: { message: 'Endpoint added.', type: 'success' as const } };
              } catch (error) {
                return { notice: errorNotice(error) };
              }
            },
          },
          remove: {
            actionType: 'record',
            icon: 'Trash2',
            component: false,
            guard: 'Remove this endpoint? Its deliveries still pending are dropped.',
            isAccessible: ({ record }: ActionContext) => record?.params.source !== 'config',
            handler: async (_request: ActionRequest, _response: unknown, context: ActionContext) => {
              try {
                await webhooks.remove(context.record!.id(), actorOf(context));
              } catch (error) {
                return { record: context.record!.toJSON(context.currentAdmin), notice: errorNotice(error) };
              }
              return {
                record: context.record!.toJSON(context.currentAdmin),
                redirectUrl: context.h.resourceUrl({ resourceId: 'Webhooks' }),
                notice: { message: 'Endpoint removed.', type: 'success' as const },
              };
            },
          },
        },
      },
    },
    {
      resource: WebhookDelivery,
      options: {
        id: 'WebhookDeliveries',
        navigation: { name: 'Integrations', icon: 'Send' },
        listProperties: ['type', 'status', 'attempts', 'lastStatus', 'lastError', 'createdAt', 'deliveredAt'],
        filterProperties: ['type', 'status', 'endpointId', 'createdAt'],
        properties: { endpointId: { reference: 'Webhooks' }, payload: { type: 'textarea' } },
        sort: { sortBy: 'createdAt', direction: 'desc' },
        actions: noWrites,
      },
    },
  ];
  // Every action, built-in or ours, first checks that the signed-in admin is still an active admin;
  // lists and searches then keep only the filters and sort keys the panel offers.
  const stillAdmin = async (request: ActionRequest, context: ActionContext) => {
    await assertStillAdmin(auth, context.currentAdmin);
    return request;
  };
  for (const { options } of resources) {
    // A copy: resources share `noWrites`, and each gets hooks of its own.
    const actions = (options!.actions = { ...options!.actions }) as Record<string, object>;
    const listQuery = allowedListQuery({ filterable: options!.filterProperties ?? [], sortable: options!.listProperties ?? [] });
    for (const name of ['list', 'show', 'search', 'edit', 'new', 'delete', 'bulkDelete', ...Object.keys(actions)]) {
      actions[name] = { ...actions[name], before: name === 'list' || name === 'search' ? [stillAdmin, listQuery] : stillAdmin };
    }
  }
  return resources;
}

/** AdminJS refuses the action (and the panel says why) once the signed-in account is no admin. */
export async function assertStillAdmin(auth: AdminAuthService, currentAdmin: { id?: unknown } | undefined): Promise<void> {
  if (!(await auth.isStillAdmin(currentAdmin))) throw new ForbiddenError('Your admin access has ended; sign in again.');
}

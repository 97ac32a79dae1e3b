import { ComponentLoader } from 'adminjs';

/**
 * The panel's custom React components. scripts/bundle-admin.mjs bundles exactly these at build
 * time; the .tsx sources are copied next to the compiled code (scripts/copy-assets.mjs).
 */
export const componentLoader = new ComponentLoader();

export const Components = {
  Dashboard: componentLoader.add('Dashboard', new URL('./components/dashboard.tsx', import.meta.url).pathname),
  AddWebhook: componentLoader.add('AddWebhook', new URL('./components/webhook-add.tsx', import.meta.url).pathname),
  UserOverview: componentLoader.add('UserOverview', new URL('./components/user-overview.tsx', import.meta.url).pathname),
};

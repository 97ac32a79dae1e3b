// A user's page: who they are, where they are signed in (each session with Revoke), and what
// happened to the account lately, with the actors named. Bundled at build time like the dashboard.
import React, { useCallback, useEffect, useState } from 'react';
import { ApiClient, type ActionProps } from 'adminjs';
import { Badge, Box, Button, H3, H5, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';

interface Session {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  ip: string | null;
}

interface Event {
  id: string;
  type: string;
  actorName: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
  createdAt: string;
}

interface Overview {
  sessions: Session[];
  events: Event[];
}

const api = new ApiClient();
const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

/** "Chrome on Linux" from a user agent, or the raw start of it. */
function device(userAgent: string | null): string {
  if (!userAgent) return 'unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrome\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : undefined;
  const system = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Windows/.test(userAgent)
        ? 'Windows'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : undefined;
  return browser && system ? `${browser} on ${system}` : userAgent.slice(0, 40);
}

const Field = ({ label, value }: { label: string; value: React.ReactNode }) => (
  <Box mr="xxl" mb="lg">
    <Text variant="sm" color="grey60">
      {label}
    </Text>
    <Text>{value}</Text>
  </Box>
);

const UserOverview = ({ record, resource }: ActionProps) => {
  const [overview, setOverview] = useState<Overview | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const params = record!.params;
  const load = useCallback(async () => {
    const response = await api.recordAction({ resourceId: resource.id, recordId: record!.id, actionName: 'overview' });
    setOverview(response.data as unknown as Overview);
  }, [record, resource]);
  useEffect(() => {
    void load();
  }, [load]);

  const revoke = async (sessionId: string) => {
    const response = await api.recordAction({
      resourceId: resource.id,
      recordId: record!.id,
      actionName: 'revokeSession',
      data: { sessionId },
    });
    setNotice((response.data as { notice?: { message: string } }).notice?.message);
    await load();
  };

  return (
    <Box data-testid="user-overview">
      <Box variant="white" p="xl" mb="xl">
        <H3>
          {params.username}{' '}
          <Badge variant={params.isActive === false || params.isActive === 'false' ? 'danger' : 'success'}>
            {params.isActive === false || params.isActive === 'false' ? 'blocked' : 'active'}
          </Badge>{' '}
          <Badge>{params.role}</Badge>
        </H3>
        <Box flex flexDirection="row" flexWrap="wrap">
          <Field label="Email" value={params.email || '—'} />
          <Field label="Phone" value={params.phone || '—'} />
          <Field label="Created" value={when(params.createdAt)} />
          <Field label="Last sign-in" value={when(params.lastLoginAt)} />
        </Box>
      </Box>

      <Box variant="white" p="xl" mb="xl" data-testid="user-sessions">
        <H5>Signed in ({overview ? overview.sessions.length : '…'})</H5>
        {notice && <Text data-testid="user-notice">{notice}</Text>}
        {overview && overview.sessions.length === 0 && <Text>No live session.</Text>}
        {overview && overview.sessions.length > 0 && (
          <Table>
            <TableHead>
              <TableRow>
                <TableCell>Device</TableCell>
                <TableCell>IP</TableCell>
                <TableCell>Signed in</TableCell>
                <TableCell>Last used</TableCell>
                <TableCell />
              </TableRow>
            </TableHead>
            <TableBody>
              {overview.sessions.map((session) => (
                <TableRow key={session.id} data-testid="user-session">
                  <TableCell>{device(session.userAgent)}</TableCell>
                  <TableCell>{session.ip ?? '—'}</TableCell>
                  <TableCell>{when(session.createdAt)}</TableCell>
                  <TableCell>{when(session.lastUsedAt)}</TableCell>
                  <TableCell>
                    <Button size="sm" variant="outlined" color="danger" onClick={() => void revoke(session.id)}>
                      Revoke
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Box>

      <Box variant="white" p="xl" data-testid="user-events">
        <H5>Recent events</H5>
        {overview && overview.events.length === 0 && <Text>Nothing recorded yet.</Text>}
        {overview && overview.events.length > 0 && (
          <Table>
            <TableHead>
              <TableRow>
                <TableCell>When</TableCell>
                <TableCell>Event</TableCell>
                <TableCell>By</TableCell>
                <TableCell>IP</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {overview.events.map((event) => (
                <TableRow key={event.id} data-testid="user-event">
                  <TableCell>{when(event.createdAt)}</TableCell>
                  <TableCell>{event.type}</TableCell>
                  <TableCell>{event.actorName ?? String(event.details?.via ?? 'system')}</TableCell>
                  <TableCell>{event.ip ?? '—'}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Box>
    </Box>
  );
};

export default UserOverview;

// The admin panel's first page: the counts an operator looks at first. Bundled by AdminJS
// (rollup + babel) at build time; React, AdminJS and the design system come from its globals.
import React, { useEffect, useState } from 'react';
import { ApiClient } from 'adminjs';
import { Badge, Box, H2, H3, H5, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';

const STATS: [key: string, label: string][] = [
  ['users', 'Users'],
  ['blockedUsers', 'Blocked users'],
  ['signUps24h', 'Sign-ups, last 24 h'],
  ['logins24h', 'Logins, last 24 h'],
  ['otpLockouts24h', 'OTP lockouts, last 24 h'],
  ['reuseDetections24h', 'Refresh-token reuse, last 24 h'],
  ['activeSessions', 'Active sessions'],
];

const DELIVERY_STATS: [key: string, label: string][] = [
  ['queued', 'Messages waiting'],
  ['delivered', 'Delivered'],
  ['deadLetteredLast15m', 'Dead letters, last 15 min'],
  ['deadLettered', 'Dead letters, all kept'],
];

interface DeadLetter {
  messageId: string;
  purpose: string;
  to: string;
  reason: string;
  attempts: number;
  failedAt: string;
}

interface Overview {
  [key: string]: unknown;
  delivery?: { stats: Record<string, number | string> | null; deadLetters: DeadLetter[] };
}

const api = new ApiClient();

const Stat = ({ label, value, testId }: { label: string; value: unknown; testId: string }) => (
  <Box variant="white" m="lg" p="xl" width={[1, 1 / 2, 1 / 4]} data-testid={testId}>
    <Text>{label}</Text>
    <H5>{value === undefined ? '…' : String(value)}</H5>
  </Box>
);

const Delivery = ({ delivery }: { delivery: NonNullable<Overview['delivery']> }) => (
  <Box mt="xl" data-testid="delivery">
    <H3>
      Code delivery{' '}
      <Badge variant={delivery.stats?.status === 'ok' ? 'success' : 'danger'} data-testid="delivery-status">
        {delivery.stats ? String(delivery.stats.status) : 'unknown (queue unreachable)'}
      </Badge>
    </H3>
    <Box flex flexDirection="row" flexWrap="wrap">
      {DELIVERY_STATS.map(([key, label]) => (
        <Stat key={key} label={label} value={delivery.stats ? delivery.stats[key] : '?'} testId={`delivery-${key}`} />
      ))}
    </Box>
    {delivery.deadLetters.length > 0 && (
      <Box variant="white" m="lg" p="lg">
        <H5>Latest dead letters</H5>
        <Table data-testid="dead-letters">
          <TableHead>
            <TableRow>
              <TableCell>When</TableCell>
              <TableCell>To</TableCell>
              <TableCell>Message</TableCell>
              <TableCell>Attempts</TableCell>
              <TableCell>Last error</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {delivery.deadLetters.map((letter) => (
              <TableRow key={letter.messageId}>
                <TableCell>{new Date(letter.failedAt).toLocaleString()}</TableCell>
                <TableCell>{letter.to}</TableCell>
                <TableCell>
                  {letter.purpose} ({letter.messageId})
                </TableCell>
                <TableCell>{letter.attempts}</TableCell>
                <TableCell>{letter.reason}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>
    )}
  </Box>
);

const Dashboard = () => {
  const [overview, setOverview] = useState<Overview | null>(null);
  useEffect(() => {
    api.getDashboard().then((response) => setOverview(response.data as Overview));
  }, []);
  return (
    <Box variant="grey">
      <H2>Overview</H2>
      <Box flex flexDirection="row" flexWrap="wrap">
        {STATS.map(([key, label]) => (
          <Stat key={key} label={label} value={overview ? overview[key] : undefined} testId={`stat-${key}`} />
        ))}
      </Box>
      {overview?.delivery && <Delivery delivery={overview.delivery} />}
    </Box>
  );
};

export default Dashboard;

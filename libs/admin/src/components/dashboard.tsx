// The admin panel's first page: the counts an operator looks at first, and the last week per hour.
// Bundled by AdminJS (rollup + babel) at build time; React, AdminJS and the design system come from
// its globals, recharts is bundled in (nothing is fetched at run time).
import React, { useEffect, useState } from 'react';
import { ApiClient } from 'adminjs';
import { Badge, Box, H2, H3, H5, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';
// recharts' ES module build, by path: AdminJS's rollup resolves a package's CommonJS `main` first,
// and its CommonJS plugin wraps recharts' and d3's require cycles in an order that can differ from
// one build to the next ("auto" strictRequires); one such build threw at load in the browser. The
// ES build bundles the same way every time, and smaller.
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts/es6/index.js';

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

interface Activity {
  hours: string[];
  counts: Record<string, number[]>;
}

interface Overview {
  [key: string]: unknown;
  activity?: Activity;
  delivery?: { stats: Record<string, number | string> | null; deadLetters: DeadLetter[] };
}

/** Each chart: its title and its lines (the series' key in `activity.counts`, a label, a colour). */
const CHARTS: { id: string; title: string; lines: [key: string, label: string, colour: string][] }[] = [
  {
    id: 'sign-ins',
    title: 'Sign-ups and sign-ins per hour',
    lines: [
      ['signIns', 'Sign-ins', '#3040d6'],
      ['signUps', 'Sign-ups', '#16a34a'],
    ],
  },
  {
    id: 'failures',
    title: 'Failed verifications and lockouts per hour',
    lines: [
      ['codesBurned', 'Codes burned by wrong guesses', '#d97706'],
      ['identifiersLocked', 'Identifiers locked', '#dc2626'],
      ['adminSignInFailures', 'Failed admin sign-ins', '#7c3aed'],
      ['limitRefusals', 'Per-IP limit refusals', '#64748b'],
    ],
  },
  {
    id: 'deliveries',
    title: 'Deliveries per hour',
    lines: [
      ['email_delivered', 'Email sent', '#16a34a'],
      ['email_retried', 'Email retried', '#d97706'],
      ['email_dead_lettered', 'Email given up', '#dc2626'],
      ['sms_delivered', 'SMS sent', '#0891b2'],
      ['sms_retried', 'SMS retried', '#a16207'],
      ['sms_dead_lettered', 'SMS given up', '#9f1239'],
    ],
  },
];

const hourLabel = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false });

const ActivityChart = ({ activity, chart }: { activity: Activity; chart: (typeof CHARTS)[number] }) => {
  const rows = activity.hours.map((hour, i) => ({
    hour: hourLabel(hour),
    ...Object.fromEntries(chart.lines.map(([key]) => [key, activity.counts[key]?.[i] ?? 0])),
  }));
  const lastHour = rows[rows.length - 1];
  return (
    <Box variant="white" m="lg" p="lg" flexGrow={1} flexBasis="420px" data-testid={`chart-${chart.id}`}>
      <H5>{chart.title}</H5>
      <Text mb="md" data-testid={`chart-${chart.id}-last-hour`}>
        This hour: {chart.lines.map(([key, label]) => `${label.toLowerCase()} ${lastHour[key as keyof typeof lastHour]}`).join(', ')}
      </Text>
      <ResponsiveContainer width="100%" height={240}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="hour" interval={23} tick={{ fontSize: 11 }} tickFormatter={(label: string) => label.split(' ')[0]} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} width={40} />
          <Tooltip />
          <Legend />
          {chart.lines.map(([key, label, colour]) => (
            <Line key={key} type="monotone" dataKey={key} name={label} stroke={colour} dot={false} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </Box>
  );
};

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
      {overview?.activity && (
        <Box flex flexDirection="row" flexWrap="wrap" data-testid="activity">
          {CHARTS.map((chart) => (
            <ActivityChart key={chart.id} activity={overview.activity!} chart={chart} />
          ))}
        </Box>
      )}
      {overview?.delivery && <Delivery delivery={overview.delivery} />}
    </Box>
  );
};

export default Dashboard;

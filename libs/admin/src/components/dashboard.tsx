// The admin panel's first page: the counts an operator looks at first. Bundled by AdminJS
// (rollup + babel) at build time; React, AdminJS and the design system come from its globals.
import React, { useEffect, useState } from 'react';
import { ApiClient } from 'adminjs';
import { Box, H2, H5, Text } from '@adminjs/design-system';

const STATS: [key: string, label: string][] = [
  ['users', 'Users'],
  ['blockedUsers', 'Blocked users'],
  ['signUps24h', 'Sign-ups, last 24 h'],
  ['logins24h', 'Logins, last 24 h'],
  ['otpLockouts24h', 'OTP lockouts, last 24 h'],
  ['reuseDetections24h', 'Refresh-token reuse, last 24 h'],
  ['activeSessions', 'Active sessions'],
];

const api = new ApiClient();

const Dashboard = () => {
  const [counts, setCounts] = useState<Record<string, number> | null>(null);
  useEffect(() => {
    api.getDashboard().then((response) => setCounts(response.data as Record<string, number>));
  }, []);
  return (
    <Box variant="grey">
      <H2>Overview</H2>
      <Box flex flexDirection="row" flexWrap="wrap">
        {STATS.map(([key, label]) => (
          <Box key={key} variant="white" m="lg" p="xl" width={[1, 1 / 2, 1 / 4]} data-testid={`stat-${key}`}>
            <Text>{label}</Text>
            <H5>{counts ? counts[key] : '…'}</H5>
          </Box>
        ))}
      </Box>
    </Box>
  );
};

export default Dashboard;

// The admin panel's "Add webhook endpoint" page: a small form, then the endpoint's signing secret,
// shown this once (it is stored only encrypted). Bundled at build time like the dashboard.
import React, { useState } from 'react';
import { ApiClient } from 'adminjs';
import { Box, Button, CheckBox, FormGroup, H3, Input, Label, MessageBox, Text } from '@adminjs/design-system';

// The server's WEBHOOK_EVENT_TYPES (libs/webhooks): the bundle cannot import server code; the
// add action refuses any other name, so a stale list here fails loudly, not silently.
const EVENTS = ['user.created', 'user.logged_in', 'user.blocked', 'user.unblocked', 'session.revoked', 'token.reuse_detected'];

const api = new ApiClient();

const AddWebhook = () => {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<{ id: string; secret: string } | null>(null);

  const toggle = (event: string) =>
    setEvents((current) => (current.includes(event) ? current.filter((e) => e !== event) : [...current, event]));
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const data = new FormData();
    data.set('url', url);
    data.set('events', events.join(','));
    data.set('description', description);
    const response = await api.resourceAction({ resourceId: 'Webhooks', actionName: 'add', data });
    const body = response.data as { secret?: string; endpointId?: string; notice?: { message: string } };
    if (body.secret && body.endpointId) setAdded({ id: body.endpointId, secret: body.secret });
    else setError(body.notice?.message ?? 'The endpoint could not be added.');
  };

  if (added) {
    return (
      <Box variant="white" p="xl">
        <H3>Endpoint added</H3>
        <Text mb="lg">
          Its signing secret, shown only now. Give it to the receiver, which verifies every delivery with a Standard Webhooks library:
        </Text>
        <Box p="lg" variant="grey" data-testid="webhook-secret">
          <code>{added.secret}</code>
        </Box>
        <Text mt="lg">Endpoint id: {added.id}</Text>
      </Box>
    );
  }
  return (
    <Box as="form" variant="white" p="xl" onSubmit={submit}>
      <H3>Add a webhook endpoint</H3>
      {error && <MessageBox mb="lg" message={error} variant="danger" data-testid="webhook-error" />}
      <FormGroup>
        <Label required>URL</Label>
        <Input
          name="url"
          width={1}
          value={url}
          placeholder="https://example.com/hooks/otp-auth"
          onChange={(e: React.ChangeEvent<HTMLInputElement>) => setUrl(e.target.value)}
        />
      </FormGroup>
      <FormGroup>
        <Label>Events (none ticked: all of them)</Label>
        {EVENTS.map((event) => (
          <Box key={event} flex flexDirection="row" alignItems="center" mb="sm">
            <CheckBox id={`event-${event}`} checked={events.includes(event)} onChange={() => toggle(event)} />
            <Label inline htmlFor={`event-${event}`} ml="default">
              {event}
            </Label>
          </Box>
        ))}
      </FormGroup>
      <FormGroup>
        <Label>Description</Label>
        <Input
          name="description"
          width={1}
          value={description}
          onChange={(e: React.ChangeEvent<HTMLInputElement>) => setDescription(e.target.value)}
        />
      </FormGroup>
      <Button type="submit" variant="contained">
        Add endpoint
      </Button>
    </Box>
  );
};

export default AddWebhook;

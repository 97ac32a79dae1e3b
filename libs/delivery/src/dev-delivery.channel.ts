import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Clock } from '#common';
import { channelOf, type Metrics } from '#metrics';
import type { OtpPurpose } from './otp-purpose.js';
import { DeliveryChannel, type OtpMessage } from './delivery-channel.js';
import type { DeliveryHistory } from './delivery-history.js';

export interface OutboxEntry {
  purpose: OtpPurpose;
  identifier: string;
  kind: OtpMessage['kind'];
  code: string | null;
  sentAt: string;
}

/**
 * Development only (loadConfig refuses it in production): logs one line per message, code
 * included, and keeps the last message per (purpose, identifier) for the code's lifetime where
 * another process (the CLI's `otp`) can read it, whatever the set-up: in the database's dev_outbox
 * table, which every process reaches, the embedded one included (through its loopback socket).
 * This replaces reading the code out of Redis in a Django shell (steps 2 and 6 of the seed flow).
 */
export class DevDeliveryChannel extends DeliveryChannel {
  private readonly logger = new Logger('DevDelivery');

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly history: DeliveryHistory,
  ) {
    super();
  }

  async send(message: OtpMessage): Promise<void> {
    const { recipient, purpose, kind, code, expiresInSeconds } = message;
    const now = this.clock.now();
    if (kind === 'code') this.logger.log(`OTP for ${recipient.value} (${purpose}): ${code} (expires in ${expiresInSeconds} s)`);
    else this.logger.log(`Notice for ${recipient.value} (${purpose}): ${kind}; no code sent`);
    this.metrics.codesDelivered.inc({ channel: channelOf(recipient.kind) });
    this.history.record(channelOf(recipient.kind), 'delivered');
    await this.dataSource.query(
      `INSERT INTO dev_outbox (purpose, identifier, kind, code, sent_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (purpose, identifier) DO UPDATE SET kind = EXCLUDED.kind, code = EXCLUDED.code, sent_at = EXCLUDED.sent_at, expires_at = EXCLUDED.expires_at`,
      [purpose, recipient.value, kind, code ?? null, now, new Date(now.getTime() + expiresInSeconds * 1000)],
    );
  }

  /** The last message sent for this purpose and identifier, while its code is still alive. */
  async lastMessage(purpose: OtpPurpose, identifier: string): Promise<OutboxEntry | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT purpose, identifier, kind, code, sent_at FROM dev_outbox WHERE purpose = $1 AND identifier = $2 AND expires_at > $3`,
      [purpose, identifier, this.clock.now()],
    )) as { purpose: OtpPurpose; identifier: string; kind: OtpMessage['kind']; code: string | null; sent_at: Date }[];
    return (
      row && {
        purpose: row.purpose,
        identifier: row.identifier,
        kind: row.kind,
        code: row.code,
        sentAt: new Date(row.sent_at).toISOString(),
      }
    );
  }
}

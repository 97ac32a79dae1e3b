import { Inject } from '@nestjs/common';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import { DomainError } from '#common';
import { AppConfig } from '#config';
import { DeliveryChannel, DevDeliveryChannel, OTP_PURPOSES, type OtpPurpose } from '#delivery';
import { OtpService } from '#otp';
import { runCommand } from '../cli-io.js';
import { CommandGroup } from './command-group.js';

/** Seed steps 2 and 6: the current development code for an identifier. */
@SubCommand({ name: 'peek', arguments: '<purpose> <identifier>', description: 'Print the current development code (REGISTER or LOGIN)' })
export class OtpPeekCommand extends CommandRunner {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(DeliveryChannel) private readonly delivery: DeliveryChannel,
    @Inject(OtpService) private readonly otp: OtpService,
  ) {
    super();
  }

  run([purpose, identifier]: string[]): Promise<void> {
    return runCommand(async () => {
      if (this.config.isProduction || !(this.delivery instanceof DevDeliveryChannel)) {
        throw new DomainError('FORBIDDEN', 'otp peek reads the development channel, which production does not use.');
      }
      const normalizedPurpose = purpose.toUpperCase() as OtpPurpose;
      if (!OTP_PURPOSES.includes(normalizedPurpose))
        throw new DomainError('VALIDATION_FAILED', `purpose must be one of ${OTP_PURPOSES.join(', ')}`);
      const recipient = this.otp.normalize(identifier);
      const message = await this.delivery.lastMessage(normalizedPurpose, recipient.value);
      if (!message) throw new DomainError('NOT_FOUND', `No live ${normalizedPurpose} code for ${recipient.value}.`);
      if (!message.code)
        throw new DomainError(
          'NOT_FOUND',
          `The last ${normalizedPurpose} message to ${recipient.value} was a notice (${message.kind}), not a code.`,
        );
      console.log(message.code);
    });
  }
}

@Command({ name: 'otp', description: 'One-time codes (development)', subCommands: [OtpPeekCommand] })
export class OtpCommand extends CommandGroup {}

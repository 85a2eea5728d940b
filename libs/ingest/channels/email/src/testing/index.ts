import { mimeEmailTestSetup } from './mime-email.test-setup';
import { sendgridTestSetup } from './sendgrid.test-setup';

export * from './mime-email.sign';
export * from './mime-email.test-setup';
export * from './sendgrid-inbound-parse.sign';
export * from './sendgrid.test-setup';

/** Both providers' setups, in the order of `emailProviders` (`CHANNEL_TEST_SETUPS.email`). */
export const emailTestSetups = [mimeEmailTestSetup, sendgridTestSetup] as const;

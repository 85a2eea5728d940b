import type { IngestChannelId } from '@hub/contracts';
import type { ProviderKey } from '../day-plan';
import type { DeliveryBuilder } from './builder';
import { smsBuilder } from './sms.builder';
import { instagramBuilder, messengerBuilder, whatsappBuilder } from './meta.builders';
import { telegramBuilder } from './telegram.builder';
import { webchatBuilder } from './webchat.builder';
import { amazonConnectBuilder, twilioVoiceBuilder } from './voice.builders';
import { mimeEmailBuilder, sendgridBuilder } from './email.builders';
import { shopifyBuilder } from './commerce.builder';
import { typeformBuilder } from './survey.builder';

export type { BuildContext, DeliveryBuilder } from './builder';

/**
 * Every provider's builder, per channel, in the order of `CHANNEL_TEST_SETUPS` (the spec checks
 * they pair up). Partial on purpose: a channel added with `nx g @hub/tools:channel` compiles and
 * works before it has a demo builder; the demo then names it as left out of the day.
 */
export const DEMO_BUILDERS = {
  sms: [smsBuilder],
  survey: [typeformBuilder],
  commerce: [shopifyBuilder],
  voice: [amazonConnectBuilder, twilioVoiceBuilder],
  whatsapp: [whatsappBuilder],
  messenger: [messengerBuilder],
  instagram: [instagramBuilder],
  telegram: [telegramBuilder],
  webchat: [webchatBuilder],
  email: [mimeEmailBuilder, sendgridBuilder],
} as const satisfies Partial<Record<IngestChannelId, readonly [DeliveryBuilder, ...DeliveryBuilder[]]>>;

/** Channels the demo day does not include yet (no builder). */
export const channelsWithoutDemoBuilders = (all: readonly IngestChannelId[]): IngestChannelId[] => all.filter((c) => !(c in DEMO_BUILDERS));

const byProvider = new Map<ProviderKey, DeliveryBuilder>(
  Object.values(DEMO_BUILDERS).flatMap((list: readonly DeliveryBuilder[]) => list.map((b) => [b.provider, b] as const)),
);

export function builderFor(provider: ProviderKey): DeliveryBuilder {
  const builder = byProvider.get(provider);
  if (!builder) throw new Error(`no demo builder for ${provider}`);
  return builder;
}

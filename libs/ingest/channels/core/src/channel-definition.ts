import type { ClassConstructor } from 'class-transformer';
import type { ChannelAdapter, ChannelManifest } from './channel-adapter';

/**
 * A registry entry: the manifest, the class-validator schema of the channel's own settings
 * (validated at boot only when the channel is enabled), and how to build the adapter from them.
 */
export interface ChannelDefinition<Config extends object = object> {
  manifest: ChannelManifest;
  configSchema: ClassConstructor<Config>;
  create(config: Config): ChannelAdapter;
}

export function defineChannel<Config extends object>(definition: ChannelDefinition<Config>): ChannelDefinition<Config> {
  return definition;
}

export { channelGenerator } from './generators/channel/channel.generator';
export type { ChannelGeneratorSchema } from './generators/channel/schema';

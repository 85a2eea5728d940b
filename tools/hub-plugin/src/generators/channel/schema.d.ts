/** Options of `nx g @hub/tools:channel` (schema.json). */
export interface ChannelGeneratorSchema {
  /** The channel id, kebab-case: the ChannelId, libs/ingest/channels/<name>, the app ingest-<name>. */
  name: string;
  /** The provider posting the webhooks (manifest.provider). Default: `name`. */
  provider?: string;
  /** manifest.displayName. Default: `name` in title case (with the provider when it differs). */
  displayName?: string;
  /** manifest.route.path. Default: `/webhooks/<name>`. */
  route?: string;
  /** manifest.docsUrl. Default: a placeholder under https://hub.example.com/docs/channels/. */
  docsUrl?: string;
}

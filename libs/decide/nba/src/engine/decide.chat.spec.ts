import { ALL_CHANNEL_IDS, type ChannelId } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { consentChanged, external, inbound, registered } from '@hub/customer/testing';
import { catalogV1, catalogV2, currentCatalog } from '../catalog/load-catalog';
import { at, CUSTOMER, channelVerdictOf, decideAfter } from '../testing/nba.fixtures';

const CHAT: ChannelId = 'chat';
const WEBCHAT: ChannelId = 'webchat';
/** A platform's customer, known only by its id there, who writes on the platform's own chat (the generic API). */
const chatting = (channel: ChannelId): CustomerEvent[] => [
  registered(CUSTOMER, at(1, 9), external('genesys', 'cust-1'), { channel }),
  inbound('i1', at(10, 11), { channel, identities: [external('genesys', 'cust-1')], text: 'where is my order?' }),
];
const options = { catalog: catalogV2(), enabledChannels: ALL_CHANNEL_IDS };

describe('deciding for a customer who writes on a platform’s plain chat', () => {
  describe('given the current catalog (v4: v2 with outcome keywords and a cost to serve) and a message on chat', () => {
    it('then the hub decides with v4, which contacts chat as v2 does: as it does web chat', () => {
      expect(currentCatalog().contactPolicy).toEqual(catalogV2().contactPolicy);
      expect(currentCatalog().actions.map((a) => [a.id, a.channels])).toEqual(catalogV2().actions.map((a) => [a.id, a.channels]));
      const policyOf = (c: ChannelId) => {
        const { channel: _channel, ...policy } = catalogV2().contactPolicy.channels.find((p) => p.channel === c)!;
        return policy;
      };
      expect(policyOf(CHAT)).toEqual(policyOf(WEBCHAT));
      for (const action of catalogV2().actions) expect(action.channels.includes(CHAT)).toBe(action.channels.includes(WEBCHAT));
    });

    it('then the reply goes on chat, where the customer wrote, as it would on web chat', () => {
      const onChat = decideAfter(chatting(CHAT), options);
      const onWebchat = decideAfter(chatting(WEBCHAT), options);
      expect(onChat.chosen.actionId).toBe(onWebchat.chosen.actionId);
      expect(onWebchat.chosen.channel).toBe(WEBCHAT);
      expect(onChat.chosen.channel).toBe(CHAT);
      expect(channelVerdictOf(onChat, onChat.chosen.actionId, CHAT)).toEqual(expect.objectContaining({ available: true, blockedBy: [] }));
    });

    it('then whatever the seed (each draw of the engine), the action chosen answers on chat', () => {
      for (let seed = 1; seed <= 200; seed++) {
        const d = decideAfter(chatting(CHAT), { ...options, seed: seed * 7_919 });
        expect([seed, d.chosen.contactMode, d.chosen.channel]).toEqual([seed, 'reply', CHAT]);
      }
    });
  });

  describe('given the customer opted out of chat, where they wrote', () => {
    it('then the catalog’s consent default holds every action back, as it does for web chat: no contact', () => {
      const optedOut = (channel: ChannelId) =>
        decideAfter([...chatting(channel), consentChanged('c1', at(10, 12), 'opted_out', { channel })], { ...options, now: at(10, 13) });
      const onChat = optedOut(CHAT);
      expect(onChat.chosen).toEqual(expect.objectContaining({ actionId: 'do_nothing', channel: null }));
      expect(onChat.candidates.filter((c) => c.survived)).toEqual([]);
      expect(optedOut(WEBCHAT).chosen.actionId).toBe('do_nothing');
    });
  });

  describe('given catalog v1, which predates chat', () => {
    it('then no action names chat: decisions recorded with it reproduce unchanged', () => {
      expect(catalogV1().actions.some((a) => a.channels.includes(CHAT))).toBe(false);
      expect(catalogV1().contactPolicy.channels.some((p) => p.channel === CHAT)).toBe(false);
    });
  });
});

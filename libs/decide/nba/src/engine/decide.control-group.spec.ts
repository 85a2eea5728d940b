import type { CustomerEvent } from '@hub/customer';
import { inbound, registered } from '@hub/customer/testing';
import { catalogV3, loadCatalog } from '../catalog/load-catalog';
import type { Catalog } from '../catalog/catalog.types';
import { noActionReason } from '../delivery/no-action-reason';
import { at, CUSTOMER, decideAfter, TENANT } from '../testing/nba.fixtures';
import { RecordedStream } from '../testing/recorded-stream';
import { reproduceDecision } from '../explain/reproduce-decision';
import { controlDraw } from './decide';
import { decidedEvent } from './decided-event';

/** v3 with a control group on the password-reset article: `share` of the decisions choosing it withhold it. */
function withControlGroup(share: number): Catalog {
  const json = JSON.parse(JSON.stringify(catalogV3())) as { catalogVersion: string; actions: { id: string; controlGroupShare?: number }[] };
  json.catalogVersion = 'control-spec';
  json.actions.find((a) => a.id === 'kb_password_reset')!.controlGroupShare = share;
  return loadCatalog(json);
}

const asked = (): CustomerEvent[] => [registered(CUSTOMER, at(1, 8)), inbound('m1', at(1, 9), { text: 'How do I reset my password?' })];
const SEEDS = Array.from({ length: 400 }, (_, i) => (i * 2_654_435_761) >>> 0);

describe('control groups (catalog controlGroupShare)', () => {
  describe('given a catalog without the field', () => {
    it('then no decision is withheld: the field is opt-in', () => {
      for (const seed of SEEDS.slice(0, 50)) {
        const d = decideAfter(asked(), { catalog: catalogV3(), seed });
        expect(d.withheld).toBeUndefined();
        expect(d.chosen.actionId).toBe('kb_password_reset');
      }
    });
  });

  describe('given a share of 0.25 on the action the engine ranks first', () => {
    const catalog = withControlGroup(0.25);

    it('then the decisions whose seed draws under the share withhold it, the others are as without the field', () => {
      let withheld = 0;
      for (const seed of SEEDS) {
        const d = decideAfter(asked(), { catalog, seed });
        const plain = decideAfter(asked(), { catalog: catalogV3(), seed });
        expect(d.menu).toEqual(plain.menu);
        expect(d.candidates).toEqual(plain.candidates);
        if (controlDraw(seed, 'kb_password_reset') < 0.25) {
          withheld += 1;
          expect(d.chosen).toEqual(expect.objectContaining({ actionId: 'do_nothing', kind: 'none', contactMode: 'none' }));
          expect(d.withheld).toEqual({
            actionId: 'kb_password_reset',
            kind: plain.chosen.kind,
            channel: plain.chosen.channel,
            share: 0.25,
          });
          expect(noActionReason(d)).toBe('control_group');
        } else {
          expect(d.chosen).toEqual(plain.chosen);
          expect(d.withheld).toBeUndefined();
        }
      }
      // The draw is uniform: about a quarter of 400 seeds (a 5-sigma band, fixed seeds: deterministic).
      expect(withheld).toBeGreaterThan(100 - 45);
      expect(withheld).toBeLessThan(100 + 45);
    });

    it('then a withheld decision records the action it withheld and why, and the same seed withholds it again', () => {
      const seed = SEEDS.find((s) => controlDraw(s, 'kb_password_reset') < 0.25)!;
      const d = decideAfter(asked(), { catalog, seed });
      const event = decidedEvent(d, 'corr', { triggers: [] });
      expect(event.data.action.kind).toBe('none');
      expect(event.data.contactMode).toBe('none');
      expect(event.data.withheld).toEqual(expect.objectContaining({ actionId: 'kb_password_reset', share: 0.25 }));
      expect(event.data.noAction).toEqual({ reason: 'control_group' });
      expect(event.data.explanation.reason).toMatch(/^control group: kb_password_reset ranked first and is withheld/);
      expect(decideAfter(asked(), { catalog, seed })).toEqual(d);
    });
  });

  describe('given a withheld decision recorded the way the worker records it', () => {
    it('then it reproduces bit for bit with its catalog (the draw is recomputed from the seed)', () => {
      const catalog = withControlGroup(0.5);
      const recorded = Array.from({ length: 64 }, (_, i) => {
        const stream = new RecordedStream(TENANT, `c-${i}`).append(
          registered(`c-${i}`, at(1, 8)),
          inbound('m1', at(1, 9), { text: 'How do I reset my password?' }),
        );
        return { stream, decided: stream.decide(at(1, 9, 1), { catalog }) };
      });
      const withheld = recorded.filter((r) => r.decided.data.withheld !== undefined);
      expect(withheld.length).toBeGreaterThan(0);
      expect(withheld.length).toBeLessThan(64);
      for (const { stream, decided } of [withheld[0]!, recorded.find((r) => r.decided.data.withheld === undefined)!]) {
        const r = reproduceDecision({
          decided,
          tenantId: TENANT,
          customerId: stream.customerId,
          stream: stream.events,
          catalogOf: (v) => (v === catalog.catalogVersion ? catalog : undefined),
        });
        expect(r.differences).toEqual([]);
      }
    });
  });

  describe('given a control group on the do-nothing action, or a share out of range', () => {
    it('then the catalog is refused', () => {
      const json = JSON.parse(JSON.stringify(catalogV3())) as { actions: { kind: string; controlGroupShare?: number }[] };
      json.actions.find((a) => a.kind === 'none')!.controlGroupShare = 0.1;
      expect(() => loadCatalog(json)).toThrow(/the do-nothing action has no control group/);
      expect(() => withControlGroup(0.9)).toThrow(/controlGroupShare/);
    });
  });
});

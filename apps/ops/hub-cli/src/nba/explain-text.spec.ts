import type { CustomerEvent } from '@hub/customer';
import { inbound, registered } from '@hub/customer/testing';
import { buildDecisionInput, catalogV3, controlDraw, decide, decidedEvent, loadCatalog, reproduceDecision, type Catalog } from '@hub/nba';
import { explainText } from './explain-text';

const at = (hour: number, minute = 0) => new Date(Date.UTC(2025, 2, 1, hour, minute)).toISOString();

function withControlGroup(): Catalog {
  const json = JSON.parse(JSON.stringify(catalogV3())) as { catalogVersion: string; actions: { id: string; controlGroupShare?: number }[] };
  json.catalogVersion = 'explain-text-spec';
  json.actions.find((a) => a.id === 'kb_password_reset')!.controlGroupShare = 0.5;
  return loadCatalog(json);
}

describe('explainText', () => {
  describe('given a decision that withheld its action (control group)', () => {
    it('then it names the action withheld, the share and the draw, and says it reproduced', () => {
      const catalog = withControlGroup();
      for (let i = 0; i < 64; i++) {
        const customerId = `c-${i}`;
        const events: CustomerEvent[] = [registered(customerId, at(8)), inbound('m1', at(9), { text: 'How do I reset my password?' })];
        const input = buildDecisionInput({ tenantId: 'acme', customerId, events, revision: 1n, catalog, outcomes: {}, now: at(9, 1) })!;
        const decision = decide(input);
        if (!decision.withheld) continue;
        const decided = decidedEvent(decision, 'corr');
        const stream = [...events, decided].map((event, n) => ({ revision: BigInt(n), event }));
        const r = reproduceDecision({ decided, tenantId: 'acme', customerId, stream, catalogOf: () => catalog });
        const text = explainText(r, { tenantId: 'acme', customerId });
        const draw = controlDraw(decision.seed, 'kb_password_reset');
        expect(text).toContain('chosen  do_nothing');
        const shown = /withheld kb_password_reset \(service on sms\): control group, share 0\.5, draw (0\.\d+)/.exec(text);
        expect(Number(shown?.[1])).toBeCloseTo(draw, 3);
        expect(text).toContain('reproduced: yes');
        return;
      }
      throw new Error('no seed of 64 drew the control group');
    });
  });
});

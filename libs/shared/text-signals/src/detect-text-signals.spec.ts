import { detectTextSignals } from './detect-text-signals';
import { normalizeText } from './normalize-text';

const signalsOf = (text: string) => detectTextSignals(text).signals;

describe('normalizeText', () => {
  it('given Arabic with harakat, tatweel and hamza on alef, then they are one spelling', () => {
    expect(normalizeText('أُرِيـــدُ إلغاءَ')).toBe(normalizeText('اريد الغاء'));
  });

  it('given Persian yeh and kaf, or Arabic ones, then they are one spelling', () => {
    expect(normalizeText('کی')).toBe(normalizeText('كي'));
  });

  it('given a zero-width non-joiner, then it is a space (می‌خواهم = می خواهم)', () => {
    expect(normalizeText('می\u200cخواهم')).toBe('مي خواهم');
  });

  it('given Persian and Arabic-Indic digits, then they are ASCII digits', () => {
    expect(normalizeText('۷۷۱۲ ٥٥٢١')).toBe('7712 5521');
  });

  it('given Latin accents, full-width letters and ё/й, then they fold away', () => {
    expect(normalizeText('DEVOLUCIÓN não ＵＲＧＥＮＴ ещё Най')).toBe('devolucion nao urgent еще наи');
  });
});

describe('detectTextSignals', () => {
  it('given nothing, then nothing', () => {
    expect(detectTextSignals(undefined)).toEqual({ signals: [], languages: [], matches: [] });
    expect(signalsOf('')).toEqual([]);
  });

  describe('given the messages of issue 12', () => {
    it.each([
      ['This is my third message and still no answer', ['repeat_contact']],
      ['I want a refund', ['refund_cancel']],
      ['هذه رسالتي الثالثة', ['repeat_contact']],
      ['أريد استرداد المبلغ', ['refund_cancel']],
      ['خدمة سيئة جدا', ['complaint']],
    ])('"%s" → %j', (text, expected) => {
      expect(signalsOf(text)).toEqual(expected);
    });
  });

  describe('given a negated cue', () => {
    it.each([
      ['not urgent, just asking', []],
      ['No quiero cancelar el pedido', []],
      ['Não é urgente', []],
      ['Это не срочно', []],
      ['Не е спешно', []],
      ['مو مستعجل', []],
      ['فوری نیست', []],
      ['سفارش را لغو نکنید', []],
      ['no complaints at all', []],
    ])('"%s" → nothing', (text, expected) => {
      expect(signalsOf(text)).toEqual(expected);
    });

    it('then the negation ends with the clause: "not urgent for me, but cancel it" still asks to cancel', () => {
      expect(signalsOf('not urgent for me, but please cancel it')).toEqual(['refund_cancel']);
    });

    it('then a cue that carries its own negation still counts ("haven’t received my refund")', () => {
      expect(signalsOf("I still haven't received my refund")).toEqual(['refund_cancel']);
    });
  });

  it('given Arabic proclitics (و + ال + word), then the word is still found', () => {
    expect(signalsOf('وبالإلغاء لو سمحت')).toEqual(['refund_cancel']);
  });

  it('given a word that only starts like a cue (Russian отменный = excellent), then it is not the cue', () => {
    expect(signalsOf('Отменное качество')).toEqual([]);
  });

  it('given several signals, then they come in TEXT_SIGNALS order with the languages that found them', () => {
    const found = detectTextSignals('URGENT: third time asking, refund me. Terrible.');
    expect(found.signals).toEqual(['complaint', 'refund_cancel', 'repeat_contact', 'urgency']);
    expect(found.languages).toContain('en');
  });
});

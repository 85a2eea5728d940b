import { consentSignal } from './consent-keywords';

describe('consentSignal', () => {
  describe('when the message is exactly an opt-out keyword', () => {
    it.each(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'])('%s is an opt-out', (word) => {
      expect(consentSignal(word)).toBe('opt_out');
    });

    it.each(['stop', 'Stop', '  STOP  ', 'STOP.', 'stop!', 'Stop!!', 'STOP \n', 'unsubscribe.'])(
      '%j is an opt-out (case, surrounding space and trailing punctuation ignored)',
      (text) => {
        expect(consentSignal(text)).toBe('opt_out');
      },
    );
  });

  describe('when the message is exactly an opt-in keyword', () => {
    it.each(['START', 'UNSTOP', 'YES', 'OPTIN', 'start', ' Yes! '])('%j is an opt-in', (text) => {
      expect(consentSignal(text)).toBe('opt_in');
    });
  });

  describe('when the keyword is only part of the message', () => {
    it.each([
      'Please stop the deliveries to my old address',
      "Don't stop",
      'STOP IT',
      'I want to cancel my order',
      'yes please call me',
      'stopped',
      'STARTED',
    ])('%j changes nothing', (text) => {
      expect(consentSignal(text)).toBeUndefined();
    });
  });

  describe('when there is no text', () => {
    it.each([undefined, '', '   ', '!!!'])('%j changes nothing', (text) => {
      expect(consentSignal(text)).toBeUndefined();
    });
  });
});
